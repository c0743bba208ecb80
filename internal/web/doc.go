// Package web serves the Hub's HTML pages (repo home, files, commits,
// discussions, settings, sign-in) at the Hub's own URLs, rendered on the
// server from embedded templates.
package web
