// Package embed holds the README's embedding example as a compiled Example,
// and a test that keeps the README's copy identical to it.
package embed
