"""RFC 3161 timestamps: the app's own TSA (in process and over HTTP) and external TSAs.

pyHanko's timestamper and signing APIs are coroutines; ``run_sync`` is the one place
that turns them into plain calls, also from a thread that already runs an event loop.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime as dt
from typing import Any, Callable, Coroutine, Sequence, TypeVar, cast

from asn1crypto import cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper, HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from attest.pki.ca import asn1_certificate, require_utc

# The policy our timestamps claim (pyHanko's test TSA writes another party's OID).
from attest.pki.oids import TSA_POLICY as ATTEST_TSA_POLICY

__all__ = [
    "ATTEST_TSA_POLICY",
    "HttpTimeStamper",
    "InProcessTimeStamper",
    "TimeStampResponse",
    "TimeStamper",
    "answer_timestamp_request",
    "run_sync",
]

ACCEPTED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}

T = TypeVar("T")
_thread_pool: concurrent.futures.ThreadPoolExecutor | None = None


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code.

    Inside a running event loop (an async view, a notebook) asyncio.run is refused, so the
    coroutine then runs on a worker thread with its own loop; the caller's loop is blocked
    meanwhile, and async callers should await the async_* functions instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        in_loop = False
    else:
        in_loop = True
    if not in_loop:
        return asyncio.run(coroutine)
    global _thread_pool
    if _thread_pool is None:
        _thread_pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="attest-sync")
    return _thread_pool.submit(asyncio.run, coroutine).result()


class InProcessTimeStamper(DummyTimeStamper):
    """An RFC 3161 TSA inside this process, signing with the organisation's TSA key
    (a software key or one in an HSM: only its ``sign`` is used).

    pyHanko's DummyTimeStamper does the CMS assembly; this class adds what a TSA that
    people rely on needs: time from an injected clock, our own policy OID, an ESSCertIDv2
    (SHA-256) reference to the TSA certificate, certificates only when the request asks
    for them, and the key kept parsed (the dummy re-parses and re-validates it per token).
    """

    def __init__(
        self,
        tsa_key: rsa.RSAPrivateKey,
        tsa_cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
        now_provider: Callable[[], dt.datetime],
    ) -> None:
        if not isinstance(tsa_key, rsa.RSAPrivateKey):
            raise TypeError("the TSA signs with an RSA key")
        if tsa_key.public_key() != tsa_cert.public_key():
            raise ValueError("the TSA key does not belong to the TSA certificate")
        super().__init__(
            tsa_cert=asn1_certificate(tsa_cert),
            # The parent only stores this for its own signing routine, which is replaced:
            # the key is never exported (it may be a device's, attest.custody).
            tsa_key=cast(asn1_keys.PrivateKeyInfo, None),
            certs_to_embed=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        )
        self._key = tsa_key
        self._now = now_provider
        # The ESSCertIDv2 naming the TSA certificate is the same in every token: made once
        # (asn1crypto would otherwise serialise the issuer's name afresh for each token).
        self._signing_certificate_v2 = as_signing_certificate_v2(self.tsa_cert).dump()

    def _build_tst_info(
        self, message_imprint: tsp.MessageImprint, moment: dt.datetime, req: tsp.TimeStampReq
    ) -> tsp.TSTInfo:
        tst_info = super()._build_tst_info(message_imprint, moment, req)
        tst_info["policy"] = tsp.ObjectIdentifier(ATTEST_TSA_POLICY)
        return tst_info

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, moment: dt.datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        hash_algorithm = _HASHES[md_algorithm]()
        digest = hashes.Hash(hash_algorithm)
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(moment)})),
                simple_cms_attribute(
                    "signing_certificate_v2",
                    tsp.SigningCertificateV2.load(self._signing_certificate_v2),
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), hash_algorithm)
        return signature, signed_attrs

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        refusal = _refusal_for(req)
        if refusal is not None:
            return refusal
        imprint: tsp.MessageImprint = req["message_imprint"]
        md_algorithm = imprint["hash_algorithm"]["algorithm"].native
        moment = require_utc(self._now())
        tst_info_data = self._build_tst_info(imprint, moment, req).dump()
        signature, signed_attrs = self._sign_tst_info(tst_info_data, md_algorithm, moment)
        signed_data = self._build_signed_data(tst_info_data, md_algorithm, signature, signed_attrs)
        if not req["cert_req"].native:
            # RFC 3161 §2.4.1: without certReq the certificates MUST NOT be included.
            del signed_data["certificates"]
        token = cms.ContentInfo(
            {
                "content_type": cms.ContentType("signed_data"),
                "content": cms.SignedData(signed_data),
            }
        )
        return tsp.TimeStampResp(
            {
                "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
                "time_stamp_token": token,
            }
        )


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class TimeStampResponse(tsp.TimeStampResp):
    """TimeStampResp whose token is optional, as in RFC 3161 (asn1crypto requires it)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _rejection(fail_info: str, text: str) -> tsp.TimeStampResp:
    return TimeStampResponse(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": tsp.PKIStatus("rejection"),
                    "status_string": [text],
                    "fail_info": tsp.PKIFailureInfo({fail_info}),
                }
            )
        }
    )


def _refusal_for(req: tsp.TimeStampReq) -> tsp.TimeStampResp | None:
    """The RFC 3161 rejection for a request this TSA will not answer, else None."""
    imprint = req["message_imprint"]
    md_algorithm = imprint["hash_algorithm"]["algorithm"].native
    if md_algorithm not in ACCEPTED_DIGESTS:
        return _rejection("bad_alg", f"unsupported hash algorithm {md_algorithm}")
    if len(imprint["hashed_message"].native) != ACCEPTED_DIGESTS[md_algorithm]:
        return _rejection("bad_data_format", "message imprint has the wrong length")
    policy = req["req_policy"].native
    if policy is not None and policy != ATTEST_TSA_POLICY:
        return _rejection("unaccepted_policy", f"unsupported policy {policy}")
    if req["extensions"].native:
        return _rejection("unaccepted_extensions", "extensions are not supported")
    return None


def answer_timestamp_request(
    request_der: bytes,
    *,
    tsa_key: rsa.RSAPrivateKey,
    tsa_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    now: dt.datetime,
) -> bytes:
    """The DER TimeStampResp to an RFC 3161 TimeStampReq (the app's TSA HTTP endpoint).

    Serve it with Content-Type application/timestamp-reply; malformed requests get a
    "rejection" response rather than an exception.
    """
    try:
        req = tsp.TimeStampReq.load(request_der)
        req.native  # parse everything now: asn1crypto is lazy
        if req["version"].native != "v1":
            raise ValueError("unsupported version")
    except (ValueError, TypeError, KeyError):
        return _rejection("bad_data_format", "not an RFC 3161 TimeStampReq").dump()
    stamper = InProcessTimeStamper(tsa_key, tsa_cert, chain, lambda: now)
    return stamper.request_tsa_response(req).dump()


class HttpTimeStamper(HTTPTimeStamper):
    """An external RFC 3161 TSA over HTTP(S), with optional basic authentication."""

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: float = 10,
    ) -> None:
        headers = {}
        if username:
            # A header rather than pyHanko's auth=, which goes through a deprecated aiohttp API.
            credentials = f"{username}:{password or ''}".encode("utf-8")
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        super().__init__(url, timeout=timeout, headers=headers)
