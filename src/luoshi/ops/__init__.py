"""Operations: health checks, the access log, backup and restore."""
