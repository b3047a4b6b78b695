"""Page views, one module per area: thin functions that parse, ask ``luoshi.access``, call one service,
and render."""
