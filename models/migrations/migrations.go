// Package migrations embeds the versioned SQL schema of Crowdcare.
//
// Files are named NNNN_name.sql (applied on every dialect) or
// NNNN_name.DIALECT.sql (applied only on that dialect: postgres or sqlite).
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
