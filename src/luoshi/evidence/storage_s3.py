"""Evidence on an S3-compatible object store (MinIO, Ceph RGW, a cloud's object storage), for
deployments with several web machines: ``LUOSHI_STORAGE=s3`` (see ``docs/deployment.md``).

Kept apart from ``luoshi.evidence.storage`` so that the file system default does not load boto3.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from luoshi.evidence.storage import WithoutURLs


class S3EvidenceStorage(WithoutURLs, S3Storage):
    """django-storages' S3 backend with the evidence store's rules.

    - No URL: a pre-signed link would hand the file to whoever holds it, past the access check of the
      download view, which streams the file itself.
    - Private objects and no overwriting: every name is fresh and random (``new_stored_name``); an upload
      that met an existing name would get another one rather than replace someone's evidence.
    - An upload is a single PUT (or a multipart upload completed at the end), so nobody ever reads half a
      file, and nothing of a failed upload remains but, at worst, an orphan for ``luoshi evidence orphans``.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("default_acl", "private")
        options.setdefault("file_overwrite", False)
        options.setdefault("querystring_auth", True)
        super().__init__(**options)
