"""HTTP layer: pages, htmx fragments and the JSON API, each a thin wrapper over app.core."""
