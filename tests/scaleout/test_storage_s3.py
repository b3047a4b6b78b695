"""Evidence on an S3-compatible store (moto's server on 127.0.0.1): upload, download through the view
that checks access, checksums, orphans; and a store that cannot be reached refuses cleanly."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from luoshi.evidence import services
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage
from luoshi.evidence.storage_s3 import S3EvidenceStorage
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City
from tests.evidence import samples
from tests.evidence.conftest import upload

BUCKET = "luoshi-evidence"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


def storage_settings(settings, endpoint: str, bucket: str = BUCKET) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "luoshi.evidence.storage_s3.S3EvidenceStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "addressing_style": "path",
                "location": "evidence",
                **CREDENTIALS,
            },
        },
    }


@pytest.fixture
def on_s3(settings, s3_endpoint: str) -> S3EvidenceStorage:
    storage_settings(settings, s3_endpoint)
    storage = evidence_storage()
    assert isinstance(storage, S3EvidenceStorage)
    return storage


def test_upload_download_and_checksums_on_s3(
    city: City, task: Task, report: ProgressReport, on_s3: S3EvidenceStorage
) -> None:
    content = samples.pdf()
    [row] = services.evidence_attach(
        actor=city.wang, task=task, report=report, files=[upload("整改报告.pdf", content)]
    )
    assert row.sha256 == hashlib.sha256(content).hexdigest()

    # The object is in the bucket under the prefix, private.
    client = boto3.client(
        "s3",
        endpoint_url=on_s3.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stored = client.get_object(Bucket=BUCKET, Key=f"evidence/{row.stored_name}")["Body"].read()
    assert stored == content
    acl = client.get_object_acl(Bucket=BUCKET, Key=f"evidence/{row.stored_name}")
    assert all("AllUsers" not in str(grant.get("Grantee", {})) for grant in acl["Grants"])

    # Through the view that checks who asks: Wang's district may, Sun's may not.
    wang = Client()
    wang.force_login(city.wang)
    response = wang.get(reverse("evidence:download", args=[row.pk]))
    assert response.status_code == 200
    # Reading to the end closes the response (the client then keeps the test's database connection).
    downloaded = b"".join(response.streaming_content)
    assert hashlib.sha256(downloaded).hexdigest() == row.sha256
    sun = Client()
    sun.force_login(city.sun)
    assert sun.get(reverse("evidence:download", args=[row.pk])).status_code == 404

    # The consistency commands work on the object store too (a failed check would exit).
    call_command("evidence", "verify", "--checksums", stdout=StringIO())
    orphan = on_s3.save("ab/cd/orphan.pdf", upload("x.pdf", content))
    out = StringIO()
    call_command("evidence", "orphans", "--min-age", "0", "--delete", stdout=out, stderr=StringIO())
    assert orphan in out.getvalue()
    assert not on_s3.exists(orphan)
    assert on_s3.exists(row.stored_name)


def test_no_presigned_urls(on_s3: S3EvidenceStorage) -> None:
    with pytest.raises(NotImplementedError):
        on_s3.url("ab/cd/anything.pdf")


def test_an_unreachable_store_refuses_and_saves_nothing(
    settings, city: City, task: Task, report: ProgressReport, s3_endpoint: str
) -> None:
    storage_settings(settings, s3_endpoint, bucket="no-such-bucket")
    with pytest.raises(services.StoreUnavailable) as refused:
        services.evidence_attach(
            actor=city.wang, task=task, report=report, files=[upload("a.pdf", samples.pdf())]
        )
    assert refused.value.status == 503
    assert "nothing was saved" in str(refused.value.message)
    assert not EvidenceFile.objects.exists()
