"""A small shared package under the apps (not an app: no models): the rules every app applies the
same way. Today it holds the disclosure rule (`core.disclosure`)."""
