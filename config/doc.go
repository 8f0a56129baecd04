// Package config reads rt's settings from the environment (SPEC §2) and checks
// them before anything starts listening.
//
// Load takes the environment as a map, so tests and fuzzers never touch the
// process environment; FromOS is the thin wrapper main uses. Every variable has
// a safe default, so an empty environment gives a working development setup.
//
// A bad value stops the start. Load does not stop at the first problem: it
// reports every bad variable at once, one line each, naming the variable, the
// value and the rule, so an operator fixes a deployment in one round trip.
// Secrets never reach those lines: JWT_SECRET and API_KEY are not shown and
// REDIS_URL is shown with its password masked (MaskURL).
//
// Origins are normalised here once (NormalizeOrigin), so the handshake can
// compare an Origin header with plain string equality.
//
// Module wires Config into fx and logs Warnings: settings that work but are
// unsafe outside development, such as the default JWT secret.
package config
