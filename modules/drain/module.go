package drain

import "go.uber.org/fx"

// Module provides the node's Drain. Its delay is run by whatever stops
// the node (modules/app's lifecycle, before the server stops accepting);
// its spread by the ws module, which closes the sockets.
var Module = fx.Module("drain", fx.Provide(New))
