"""scripts/api-check's hooks: the one rule of the booking request that JSON
Schema cannot state (it compares two members), applied so that what the
generator sends obeys it as the document's prose says: checkOutDate comes
after checkInDate. A body with both dates in the wrong order is sent with
them swapped, and one with the same date twice without its dates (both or
neither); every other body is sent as generated. And a valid
Idempotency-Key is replaced by a fresh one: the generator draws the same few
keys again and again, and a key reused with another payload is answered 422,
so without this most valid requests would never reach the booking path.
Applied before each call, in every phase."""
import datetime
import re
import uuid

import schemathesis


def _date(text):
    try:
        return datetime.date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        return None


_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _VALID_KEY.fullmatch(key):
        headers["Idempotency-Key"] = "api-check-" + str(uuid.uuid4())
    body = case.body
    if not isinstance(body, dict):
        return
    check_in, check_out = _date(body.get("checkInDate")), _date(body.get("checkOutDate"))
    if check_in is None or check_out is None or check_in < check_out:
        return
    if check_in == check_out:
        del body["checkInDate"], body["checkOutDate"]
    else:
        body["checkInDate"], body["checkOutDate"] = body["checkOutDate"], body["checkInDate"]
