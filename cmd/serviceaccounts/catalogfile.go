package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/seed-c7fc2061/serviceaccounts/permission"
)

// envCatalog names the catalog file when --catalog is not given.
const envCatalog = "SA_CATALOG"

// maxCatalogFile bounds what --catalog reads: a catalog is a few
// kilobytes, and a wrong path (a database, a log) must not be read whole.
const maxCatalogFile = 4 << 20

// catalogFile is a permission catalog as JSON: what "serviceaccounts
// catalog -o json" prints and the management API's GET /catalog answers,
// so an application's catalog can be written once and used by both.
type catalogFile struct {
	ResourceTypes []permission.ResourceType `json:"resourceTypes"`
}

// permissionCatalog is the catalog of --catalog (or SA_CATALOG), read
// once, or the library's default. Completion calls it too, before the
// environment has been read into the flags.
func (a *app) permissionCatalog() (*permission.Catalog, error) {
	if a.catalog != nil {
		return a.catalog, nil
	}
	path := a.catalogPath
	if path == "" {
		path = a.getenv(envCatalog)
	}
	if path == "" {
		a.catalog = permission.DefaultCatalog()
		return a.catalog, nil
	}
	c, err := readCatalog(path)
	if err != nil {
		return nil, &failure{err: err}
	}
	a.catalog = c
	return c, nil
}

// readCatalog reads and checks a catalog file; its errors name the file
// and say what is wrong with it.
func readCatalog(path string) (*permission.Catalog, error) {
	wrap := func(format string, args ...any) error {
		return fmt.Errorf("--catalog %s: "+format, append([]any{path}, args...)...)
	}
	cannotRead := func(err error) error {
		var perr *os.PathError
		if errors.As(err, &perr) {
			err = perr.Err // the path is named already
		}
		return wrap("cannot read the file: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, cannotRead(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCatalogFile+1))
	if err != nil {
		return nil, cannotRead(err)
	}
	if len(data) > maxCatalogFile {
		return nil, wrap("larger than %d MiB: not a permission catalog", maxCatalogFile>>20)
	}
	var file catalogFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, wrap("not a permission catalog (%s): %s", jsonPosition(data, err), shape)
	}
	if dec.More() {
		return nil, wrap("more than one JSON document: %s", shape)
	}
	c, err := permission.NewCatalog(file.ResourceTypes)
	if err != nil {
		return nil, wrap("%v", err)
	}
	return c, nil
}

// shape says what a catalog file holds.
const shape = `want {"resourceTypes":[{"id":…,"displayName":…,"resourceKeys":[…],"openKeys":…,"actions":[{"id":…,"limiterKeys":[…]}]}]}, as "serviceaccounts catalog -o json" prints`

// jsonPosition describes a decoding error with the line it was found on.
func jsonPosition(data []byte, err error) string {
	var offset int64 = -1
	msg := err.Error()
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		// Its own message names Go types, which mean nothing in a file.
		offset, msg = typ.Offset, fmt.Sprintf("%s: unexpected JSON %s", typ.Field, typ.Value)
	}
	if offset < 0 || offset > int64(len(data)) {
		return msg
	}
	return fmt.Sprintf("line %d: %s", bytes.Count(data[:offset], []byte("\n"))+1, msg)
}
