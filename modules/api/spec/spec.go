// Package spec is the server API's route table, written once: each
// route's method, path, parameters, bodies, answers, error codes and rtctl
// command. The api module registers its router from it and serves the
// OpenAPI document generated from it (Document); rtctl builds its commands
// from it.
//
// It depends on nothing but the standard library and the protocol's
// constants, so that rtctl, a small client, does not link the server.
package spec

// Route is one operation of the API.
type Route struct {
	ID          string // the OpenAPI operationId, and the name the api module binds a handler to
	Method      string
	Path        string // as OpenAPI writes it: /api/rooms/{room}/messages
	Summary     string
	Description string
	Public      bool // served without the key
	// Module, when set, is the module whose api.Extension serves the route
	// (its handlers live there); without that module it is not served.
	Module   string
	Params   []Param
	Body     *Body // nil: the route reads no body
	OK       Answer
	Failures []Failure // every error answer the route's own handlers give
	Command  Command   // rtctl's command for it
}

// Where a parameter is.
const (
	InPath  = "path"
	InQuery = "query"
)

// Param is a path or query parameter. A path parameter is always required;
// a query parameter never is.
type Param struct {
	Name        string
	In          string // InPath or InQuery
	Description string
	Schema      Schema
	Shared      bool // written once under components.parameters and referred to
}

// Body is a route's JSON request body.
type Body struct {
	Schema      string // the name of its schema in Schemas
	Required    bool
	Description string
	Example     any
}

// Answer is a route's success.
type Answer struct {
	Status      int
	Description string
	Schema      Schema
}

// Failure is one error status of a route, with the codes it comes with
// in {"error":"<code>"}.
type Failure struct {
	Status  int
	Codes   []Code
	Shared  string            // the name under components.responses when several routes give it; "" for a route's own
	Headers map[string]Schema // response headers besides Content-Type
}

// Code is an error code and when it is given.
type Code struct{ Name, When string }

// Command is the rtctl command that calls a route. Its arguments and flags
// name the route's parameters and body fields: rtctl puts each value where
// the route takes it (the path, the query or the body).
type Command struct {
	Name  string
	Args  []string // positional, in order; rtctl names them in capitals (ROOM)
	Flags []Flag
	Help  string // what it does, for rtctl -h; lines after the first are indented under it
}

// Flag is an optional value of a command.
type Flag struct {
	Name    string // the parameter or body field it fills; a field of any JSON value (AnyJSON) gets the value as JSON
	Meta    string // how rtctl -h names its value (ID, N)
	Default string // sent when the flag is not given; "" sends nothing for an optional field
}

// Schema is the part of JSON Schema (2020-12, as OpenAPI 3.1 has it) that
// the API's document uses. A zero number means "not set": no bound of the
// API is 0.
type Schema struct {
	Ref         string            `json:"$ref,omitempty"`
	Type        string            `json:"type,omitempty"`
	Description string            `json:"description,omitempty"`
	Const       string            `json:"const,omitempty"`
	Enum        []string          `json:"enum,omitempty"`
	Pattern     string            `json:"pattern,omitempty"`
	MinLength   int               `json:"minLength,omitzero"`
	MaxLength   int               `json:"maxLength,omitzero"`
	Minimum     int               `json:"minimum,omitzero"`
	Maximum     int               `json:"maximum,omitzero"`
	Default     any               `json:"default,omitempty"`
	Required    []string          `json:"required,omitempty"`
	AnyOf       []Schema          `json:"anyOf,omitempty"`
	Properties  map[string]Schema `json:"properties,omitempty"`
	Items       *Schema           `json:"items,omitempty"`
}

// AnyJSON reports whether s takes any JSON value: a schema with no type.
// rtctl sends the value of a flag for such a body field as JSON, not as a
// string.
func (s Schema) AnyJSON() bool { return s.Type == "" && s.Ref == "" }

// Ref is a schema that refers to one of Schemas by name.
func Ref(name string) Schema { return Schema{Ref: "#/components/schemas/" + name} }

// Param is the route's parameter name, and whether it has one.
func (r Route) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// BodyField is the schema of the route's body field name, whether the body
// requires it, and whether the body has it at all.
func (r Route) BodyField(name string) (field Schema, required, ok bool) {
	if r.Body == nil {
		return Schema{}, false, false
	}
	s := Schemas[r.Body.Schema]
	field, ok = s.Properties[name]
	for _, n := range s.Required {
		required = required || n == name
	}
	return field, required, ok
}

// Alternatives are the body fields of which the body must have at least
// one (its schema's anyOf, each alternative requiring one field); nil when
// there are none.
func (r Route) Alternatives() []string {
	if r.Body == nil {
		return nil
	}
	var names []string
	for _, alt := range Schemas[r.Body.Schema].AnyOf {
		names = append(names, alt.Required...)
	}
	return names
}
