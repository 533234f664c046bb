"""S3 as the store of encrypted document blobs (boto3): conditional writes, streamed bodies.

Only ciphertext reaches the bucket: `EncryptedStorage` (webapp/adapters/storage.py) seals before
`put_new` and opens after `get`. Every write carries `If-None-Match: *`, so a retried or colliding
write is refused (412) instead of replacing an object (docs/decisions.md «Object storage (S3)»).
"""

import os
import threading
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from botocore.exceptions import ClientError

from webapp.adapters.storage import BlobExists, blob_name, is_key


class S3BlobStore:
    """Blobs as objects in an S3 bucket (boto3), written only with `If-None-Match: *`.

    The bucket is created on first use when it is missing. Bodies from a file are streamed: one
    conditional PUT up to `multipart_threshold`, above it a multipart upload whose completion is
    conditional, so either way an existing object is never replaced.
    """

    multipart_threshold = 64 * 1024 * 1024
    part_size = 16 * 1024 * 1024

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        client=None,
    ):
        self.bucket = bucket
        self._client = client
        self._options = {
            "endpoint_url": endpoint_url or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "region_name": region or None,
        }
        self._bucket_ready = False
        self._lock = threading.Lock()

    @property
    def client(self):
        """The boto3 client, made on first use (path-style addressing for a custom endpoint)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            style = "path" if self._options["endpoint_url"] else "auto"
            # A store that does not answer is given up in ~30 s at most (two tries of 3 s to
            # connect and 12 s to read), not minutes: the person waiting gets «Хранилище
            # документов недоступно» (503) and nothing half-written (tests/storage).
            config = Config(
                s3={"addressing_style": style},
                connect_timeout=3,
                read_timeout=12,
                retries={"max_attempts": 2, "mode": "standard"},
            )
            with self._lock:
                if self._client is None:
                    self._client = boto3.client("s3", config=config, **self._options)
        return self._client

    def _ready(self):
        """The client, after making sure the bucket exists (once per process)."""
        client = self.client
        if not self._bucket_ready:
            try:
                client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _status(exc) != 404:
                    raise
                region = self._options["region_name"]
                where = (
                    {"CreateBucketConfiguration": {"LocationConstraint": region}}
                    if region and region != "us-east-1"
                    else {}
                )
                try:
                    client.create_bucket(Bucket=self.bucket, **where)
                except ClientError as created:
                    if _code(created) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
            self._bucket_ready = True
        return client

    def put_new(self, key: str, data: bytes | BinaryIO) -> None:
        """Write the object only if the key is free; BlobExists (412) otherwise."""
        client = self._ready()
        name = blob_name(key)
        try:
            if isinstance(data, bytes | bytearray | memoryview) or not _larger_than(
                data, self.multipart_threshold
            ):
                client.put_object(Bucket=self.bucket, Key=name, Body=data, IfNoneMatch="*")
            else:
                self._put_multipart(client, name, data)
        except ClientError as exc:
            if _status(exc) == 412 or _code(exc) in {
                "PreconditionFailed",
                "ConditionalRequestConflict",
            }:
                raise BlobExists(key) from None
            raise

    def _put_multipart(self, client, name: str, data: BinaryIO) -> None:
        """Stream a large file in parts; completion is conditional; aborted on any failure."""
        upload = client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]
        try:
            parts = []
            while chunk := data.read(self.part_size):
                number = len(parts) + 1
                answer = client.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload, PartNumber=number, Body=chunk
                )
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
            client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except BaseException:
            client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)
            raise

    def get(self, key: str) -> bytes:
        """The object's bytes; KeyError when there is none."""
        client = self._ready()
        try:
            answer = client.get_object(Bucket=self.bucket, Key=blob_name(key))
        except client.exceptions.NoSuchKey:
            raise KeyError(key) from None
        with answer["Body"] as body:
            return body.read()

    def delete(self, key: str) -> None:
        """Delete the object (S3 answers a missing key with success too)."""
        self._ready().delete_object(Bucket=self.bucket, Key=blob_name(key))

    def exists(self, key: str) -> bool:
        """Whether the object is there."""
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        """The object's length (HEAD); None when it is not there."""
        client = self._ready()
        try:
            return client.head_object(Bucket=self.bucket, Key=blob_name(key))["ContentLength"]
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise

    def keys_older_than(self, seconds: float) -> list[str]:
        """Keys whose objects were last modified more than `seconds` ago (listing by pages)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=seconds)
        pages = self._ready().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return [
            item["Key"].rsplit("/", 1)[-1]
            for page in pages
            for item in page.get("Contents", ())
            if is_key(item["Key"].rsplit("/", 1)[-1]) and item["LastModified"] < cutoff
        ]

    def sweep_temp(self, older_than_seconds: float = 3600) -> int:
        """Abort multipart uploads left unfinished by crashed writes (the bucket's temp files)."""
        client = self._ready()
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        aborted = 0
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket):
            for upload in page.get("Uploads", ()):
                if upload["Initiated"] < cutoff:
                    client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted


def s3_from_config(config) -> S3BlobStore:
    """The S3 store the S3_* settings describe."""
    if not config.get("S3_BUCKET"):
        raise ValueError("S3_BUCKET is not set")
    return S3BlobStore(
        config["S3_BUCKET"],
        endpoint_url=config.get("S3_ENDPOINT_URL"),
        access_key_id=config.get("S3_ACCESS_KEY_ID"),
        secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        region=config.get("S3_REGION"),
    )


def _status(error) -> int | None:
    """The HTTP status of a botocore ClientError."""
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _code(error) -> str:
    """The S3 error code of a botocore ClientError."""
    return error.response.get("Error", {}).get("Code", "")


def _larger_than(stream: BinaryIO, limit: int) -> bool:
    """Whether a seekable file has more than limit bytes left (False when it cannot tell)."""
    try:
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError):
        return False
    return end - here > limit
