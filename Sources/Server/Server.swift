// The server: configuration, HTTP routes and DIMSE services wired to the archive.
