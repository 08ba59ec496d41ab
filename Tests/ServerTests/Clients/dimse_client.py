#!/usr/bin/env python3
"""pynetdicom scenarios against a running SwiftPACS, one per sub-command; prints JSON.

usage: dimse_client.py SCENARIO HOST PORT CALLED_AET [FILE...]
"""
import io
import json
import socket
import struct
import sys
import time

from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_role, debug_logger  # noqa: F401
from pynetdicom.pdu_primitives import (AsynchronousOperationsWindowNegotiation, SOPClassExtendedNegotiation,
                                       UserIdentityNegotiation)
from pynetdicom.sop_class import CTImageStorage, MRImageStorage, Verification


def out(obj):
    print(json.dumps(obj))


def ae(calling="PYNETDICOM"):
    a = AE(ae_title=calling)
    a.acse_timeout = 10
    a.dimse_timeout = 20
    a.network_timeout = 20
    return a


def scenario_echo(host, port, called, files):
    a = ae()
    a.add_requested_context(Verification)
    assoc = a.associate(host, port, ae_title=called)
    if not assoc.is_established:
        return out({"established": False, "rejected": assoc.is_rejected})
    status = assoc.send_c_echo()
    assoc.release()
    out({"established": True, "status": status.Status})


def scenario_negotiation(host, port, called, files):
    """Role selection, user identity (username+passcode, positive response requested), async window,
    SOP class extended negotiation (storage level of support) for CT and for Verification."""
    a = ae()
    a.add_requested_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    a.add_requested_context(MRImageStorage, [ImplicitVRLittleEndian])
    a.add_requested_context(Verification)
    roles = [build_role(CTImageStorage, scu_role=True, scp_role=True)]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 2
    identity.primary_field = b"alice"
    identity.secondary_field = b"secret"
    identity.positive_response_requested = True
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 5
    window.maximum_number_operations_performed = 5
    extended = []
    for uid in (CTImageStorage, Verification):
        item = SOPClassExtendedNegotiation()
        item.sop_class_uid = uid
        item.service_class_application_information = b"\x03\x00\x00\x00\x02\x00"  # an SCU only
        extended.append(item)
    assoc = a.associate(host, port, ae_title=called, ext_neg=roles + [identity, window] + extended)
    if not assoc.is_established:
        return out({"established": False})
    accepted = {str(cx.abstract_syntax): str(cx.transfer_syntax[0]) for cx in assoc.accepted_contexts}
    role = [(cx.as_scu, cx.as_scp) for cx in assoc.accepted_contexts if cx.abstract_syntax == CTImageStorage]
    user_identity_response = assoc.acceptor.user_identity is not None if hasattr(assoc.acceptor, "user_identity") else None
    statuses = []
    for f in files:
        ds = dcmread(f)
        statuses.append(assoc.send_c_store(ds).Status)
    assoc.release()
    out({"established": True, "accepted": accepted, "ctRole": role, "statuses": statuses,
         "userIdentityResponse": user_identity_response,
         "maxPDU": assoc.acceptor.maximum_length,
         "extended": {str(uid): list(info) for uid, info in assoc.acceptor.sop_class_extended.items()}})


def scenario_store(host, port, called, files):
    a = ae(sys.argv[5] if False else "PYNETDICOM")
    for f in files:
        ds = dcmread(f, stop_before_pixels=True)
        a.add_requested_context(ds.SOPClassUID, [ds.file_meta.TransferSyntaxUID])
    assoc = a.associate(host, port, ae_title=called)
    if not assoc.is_established:
        return out({"established": False})
    results = []
    for f in files:
        status = assoc.send_c_store(f)
        results.append({"status": status.Status, "comment": str(status.get("ErrorComment", ""))})
    assoc.release()
    out({"established": True, "results": results})


def _store_with_encoder(host, port, called, path, transform):
    """send_c_store with the encoded data set replaced by transform(bytes)."""
    import pynetdicom.association as association
    original = association.encode

    def patched(ds, *args, **kwargs):
        return transform(original(ds, *args, **kwargs), ds, args, kwargs, original)

    association.encode = patched
    try:
        ds = dcmread(path)
        a = ae()
        a.add_requested_context(ds.SOPClassUID, [ds.file_meta.TransferSyntaxUID])
        assoc = a.associate(host, port, ae_title=called)
        if not assoc.is_established:
            return {"established": False}
        status = assoc.send_c_store(ds)
        assoc.release()
        return {"established": True, "status": status.Status, "comment": str(status.get("ErrorComment", ""))}
    finally:
        association.encode = original


def scenario_truncated_dataset(host, port, called, files):
    """The data set is cut in half: the store must fail (0xC000) and store nothing."""
    out(_store_with_encoder(host, port, called, files[0], lambda data, ds, a, k, enc: data[: len(data) // 2]))


def scenario_mismatched_dataset(host, port, called, files):
    """The data set's SOP Instance UID differs from the command's: 0xA900, nothing stored."""
    def other(data, ds, args, kwargs, enc):
        copy = ds.copy()
        copy.SOPInstanceUID = "1.2.3.4.5.6.7.8.9"
        return enc(copy, *args, **kwargs)
    out(_store_with_encoder(host, port, called, files[0], other))


def scenario_abort_mid_transfer(host, port, called, files):
    """A C-STORE whose data set is cut off: the command and half of the data set (never a last
    fragment) are written as raw P-DATA-TF PDUs, then an A-ABORT PDU. Deterministic."""
    import os
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset
    from pynetdicom.dimse_messages import C_STORE_RQ
    from pynetdicom.dimse_primitives import C_STORE
    ds = dcmread(files[0])
    a = ae()
    a.add_requested_context(ds.SOPClassUID, [ExplicitVRLittleEndian])
    assoc = a.associate(host, port, ae_title=called)
    if not assoc.is_established:
        return out({"established": False})
    context_id = assoc.accepted_contexts[0].context_id
    primitive = C_STORE()
    primitive.MessageID = 1
    primitive.AffectedSOPClassUID = ds.SOPClassUID
    primitive.AffectedSOPInstanceUID = ds.SOPInstanceUID
    primitive.Priority = 2
    primitive.DataSet = io.BytesIO(b"\x00" * 8)
    message = C_STORE_RQ()
    message.primitive_to_message(primitive)
    command_pdvs = []
    for pdata in message.encode_msg(context_id, 16384):
        for _, pdv in pdata.presentation_data_value_list:
            if pdv[0] & 1:
                command_pdvs.append(pdv)
    buffer = DicomBytesIO()
    buffer.is_little_endian = True
    buffer.is_implicit_VR = False
    write_dataset(buffer, ds)
    data = buffer.getvalue()
    half = data[: len(data) // 2]

    def pdata_tf(pdv):
        item = struct.pack(">I", len(pdv) + 1) + bytes([context_id]) + pdv
        return struct.pack(">BBI", 0x04, 0, len(item)) + item

    sock = assoc.dul.socket.socket
    for pdv in command_pdvs:
        sock.sendall(pdata_tf(pdv))
    for i in range(0, len(half), 4000):
        sock.sendall(pdata_tf(b"\x00" + half[i:i + 4000]))  # data fragment, not the last
    time.sleep(0.2)
    sock.sendall(bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]))  # A-ABORT, service-user
    time.sleep(0.2)
    out({"established": True, "aborted": True, "storeFinished": False, "sentBytes": len(half)})
    sys.stdout.flush()
    os._exit(0)


def scenario_garbage(host, port, called, files):
    """Raw bytes that are no PDU, then an absurd PDU length: the server must answer A-ABORT."""
    answers = []
    for payload in [b"\x42" * 64, b"\x01\x00" + struct.pack(">I", 0xFFFFFFF0) + b"\x00" * 16]:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(payload)
        try:
            reply = s.recv(64)
        except socket.timeout:
            reply = b""
        s.close()
        answers.append(reply.hex())
    out({"answers": answers})


def scenario_idle(host, port, called, files):
    """Connect and say nothing: after DicomScpTimeout the server aborts (A-ABORT) and closes."""
    s = socket.create_connection((host, port), timeout=10)
    started = time.time()
    reply = s.recv(64)
    waited = time.time() - started
    closed = s.recv(64) == b""
    s.close()
    out({"reply": reply.hex(), "waited": waited, "closed": closed})


if __name__ == "__main__":
    name, host, port, called = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    globals()["scenario_" + name](host, port, called, sys.argv[5:])
