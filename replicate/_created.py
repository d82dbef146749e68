"""The prediction a create made when its answer never arrived: found, then canceled or kept.

A create is the one request that cannot be retried (it would bill twice), and with
``Prefer: wait`` its answer, the only one that carries the new prediction's id, can take up to
a minute. Two things can come between the request and its answer:

- An interrupt (Ctrl-C, a task's cancellation, SIGTERM turned into one by the command line).
  The prediction would run on, and bill, with nobody waiting for it: it is found and canceled
  (unless ``Client(cancel_on_interrupt=False)``), or, when it cannot be found, a
  ``PredictionMayBeRunningWarning`` names what may still be running.
- A failure after the request may have reached the server: a dropped connection or a timeout
  while reading, a 5xx, a body cut short. The prediction may exist and go on to succeed: it is
  found and the call carries on with it, so its output is not lost (and not paid for twice by
  a retry). When it cannot be found, the original error is raised, with its hint.

Finding it: the account's predictions created since shortly before the request was sent
(``GET /predictions?created_after=...``, newest first, a few pages at most), looked at up to
three times over about a second (a request still being handled on the server is not listed
yet), keeping those with the same input and version that no call of this process already
holds: the newest is taken as this create's (one made before it is older). After an interrupt,
one that has ended needs nothing; one still running is canceled; with several still running
(the same input sent twice at once) none is canceled and the warning names them. An httpx
trace tells whether the request's body started to be sent: before that there is nothing to
find. Nothing of this runs unless a create failed or was interrupted.

A batch (``replicate._batch``) asks the same question after a crash, for a create that its
journal says was sent but never answered: ``CreateAttempt.resumed`` takes the input's digest
and the time it was sent from the journal, and ``async_find`` gives the prediction or None.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from replicate._retry import NOT_SENT_ERRORS
from replicate._wait import has_ended, transient
from replicate.exceptions import PredictionMayBeRunningWarning, ReplicateError

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.identifier import Reference
    from replicate.prediction import Prediction

__all__ = ["CLOCK_SLACK", "FIND_DELAYS", "MAX_PAGES", "Claims", "CreateAttempt"]

FIND_DELAYS = (0.0, 0.3, 0.7)
"""Seconds to wait before each look at the recent predictions."""

CLOCK_SLACK = 120.0
"""Seconds before the request was sent from which predictions are looked at: the server's
clock may differ from this machine's."""

MAX_PAGES = 10
"""Pages of recent predictions looked at, at most, per look."""

FIND_TIMEOUT = 5.0
"""Seconds each request made to find or cancel an interrupted create may take."""

logger = logging.getLogger("replicate")


class Claims:
    """Ids of the predictions this process's creates received: never taken as another's.

    Bounded: the oldest are forgotten first.

    Example::

        claims = Claims()
        claims.add("p1")
        assert "p1" in claims
    """

    __slots__ = ("_ids", "_limit")

    def __init__(self, limit: int = 4096) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, id: str) -> None:
        ids = self._ids
        ids[id] = None
        if len(ids) > self._limit:
            ids.popitem(last=False)

    def __contains__(self, id: object) -> bool:
        return id in self._ids


class CreateAttempt:
    """One create request, as much as is needed to find its prediction if its answer is lost.

    Example::

        attempt = CreateAttempt(client, reference, encoded_input, request, sync=True)
        try:
            prediction = send(request)
        except Exception as error:
            prediction = attempt.recover(error)  # the prediction, or `error` raised again
    """

    __slots__ = (
        "_body_sent",
        "_client",
        "_digest",
        "_input",
        "_reference",
        "_sent_at",
        "_traceable",
        "_traced",
    )

    def __init__(
        self,
        client: Client,
        reference: Reference,
        input: Any,
        request: dict[str, Any],
        *,
        sync: bool,
    ) -> None:
        self._client = client
        self._reference = reference
        self._input = input
        self._sent_at = time.time()
        self._traced = False
        self._traceable = client._connections.traced(sync=sync)
        self._body_sent = False
        self._digest: str | None = None
        extensions = dict(request.get("extensions") or {})
        extensions["trace"] = self._trace if sync else self._atrace
        request["extensions"] = extensions

    @classmethod
    def resumed(
        cls, client: Client, reference: Reference, digest: str, sent_at: float
    ) -> CreateAttempt:
        """A create sent by an earlier process, known by its input's digest
        (``replicate._journal.input_digest``) and the Unix time it was sent.

        Example::

            attempt = CreateAttempt.resumed(client, reference, pending.digest, pending.sent_at)
            prediction = await attempt.async_find()  # None: it never reached the server
        """
        attempt = object.__new__(cls)
        attempt._client = client
        attempt._reference = reference
        attempt._input = None
        attempt._digest = digest
        attempt._sent_at = sent_at
        attempt._traced = False
        attempt._traceable = False
        attempt._body_sent = True  # it may have been: only a look can tell
        return attempt

    async def async_find(self) -> Prediction | None:
        """The prediction this create made, claimed, or None when none can be found (also
        when looking fails: the caller decides whether to create it again)."""
        found = self._unclaimed(await self._async_look(self._client))
        if not found:
            return None
        self.claim(found[0])
        return found[0]

    # -- what the transport says it did ---------------------------------------------------------

    def _trace(self, name: str, info: dict[str, Any]) -> None:
        self._traced = True
        if name.endswith("send_request_body.started"):
            # from here the server may get the whole body (a write finishing as the interrupt
            # comes): a search that finds nothing then warns, rather than stay silent
            self._body_sent = True

    async def _atrace(self, name: str, info: dict[str, Any]) -> None:
        self._trace(name, info)

    def _may_exist(self, error: BaseException | None) -> bool:
        """Whether the server may have the request: its body was sent, or nobody can tell (a
        transport that reports nothing of what it sent)."""
        if isinstance(error, NOT_SENT_ERRORS):
            return False
        if self._body_sent:
            return True
        return not (self._traced or self._traceable)

    # -- a failure: carry on with the prediction if it exists ------------------------------------

    def lost(self, error: Exception) -> bool:
        """Whether ``error`` may have lost the answer of a create that made a prediction: a
        transient failure (``replicate._wait.transient``) but a 429, which the server answers
        without acting on the request."""
        if not transient(error) or (isinstance(error, ReplicateError) and error.status == 429):
            return False
        return self._may_exist(error)

    def recover(self, error: Exception) -> Prediction:
        """The prediction the create made, found; else ``error`` raised again (also when
        looking for it fails: the create's error is the one that matters)."""
        # a quick client: an outage must not hold the error long
        return self._adopt(self._look(self._quick()), error)

    async def async_recover(self, error: Exception) -> Prediction:
        return self._adopt(await self._async_look(self._quick()), error)

    def _unclaimed(self, found: list[Prediction]) -> list[Prediction]:
        """``found`` without those another call claimed while this one was looking."""
        claims = self._client._connections.claims
        return [prediction for prediction in found if prediction.id not in claims]

    def _adopt(self, found: list[Prediction], error: Exception) -> Prediction:
        found = self._unclaimed(found)
        if not found:
            raise error
        # the newest: those made before this request are older; bound to the caller's client
        # (it was found through a quick one)
        prediction = found[0].bind(self._client)
        self.claim(prediction)
        logger.info(
            "The answer to a create was lost (%s); carrying on with its prediction %s",
            type(error).__name__,
            prediction.id,
        )
        return prediction

    def claim(self, prediction: Prediction) -> None:
        """Mark the prediction as this create's, so no other recovery takes it."""
        self._client._connections.claims.add(prediction.id)

    # -- an interrupt: cancel the prediction if it exists -----------------------------------------

    def interrupted(self) -> None:
        """Cancel the prediction the interrupted create made, or warn that it may be running."""
        if not self._cancels() or not self._may_exist(None):
            return
        quick = self._quick()
        found = self._look(quick)
        running = _running(found)
        if found and not running:
            return  # it has ended already: nothing runs on
        if len(running) == 1:
            with contextlib.suppress(Exception):
                quick.predictions.cancel(running[0].id)
                return
        self._warn(running)

    async def async_interrupted(self) -> None:
        """``interrupted``, shielded from the cancellation that caused it."""
        if not self._cancels() or not self._may_exist(None):
            return
        import anyio

        found: list[Prediction] = []
        with anyio.move_on_after(FIND_TIMEOUT * 2, shield=True):
            quick = self._quick()
            found = await self._async_look(quick)
            running = _running(found)
            if found and not running:
                return
            if len(running) == 1:
                with contextlib.suppress(Exception):
                    await quick.predictions.async_cancel(running[0].id)
                    return
        self._warn(_running(found))

    def _cancels(self) -> bool:
        return self._client.cancel_on_interrupt

    def _quick(self) -> Client:
        return self._client.with_options(timeout=FIND_TIMEOUT, max_retries=1)

    def _warn(self, found: list[Prediction]) -> None:
        what = str(self._reference)
        if found:
            ids = ", ".join(prediction.id for prediction in found)
            message = (
                f"a create of {what} was interrupted and not canceled: predictions {ids} have "
                "its input and may still be running; cancel yours with "
                "replicate.predictions.cancel(id)"
            )
        else:
            message = (
                f"a create of {what} was interrupted after it was sent, and its prediction "
                "could not be found to cancel it: it may still be running; look for it with "
                "replicate.predictions.list()"
            )
        warnings.warn(message, PredictionMayBeRunningWarning, stacklevel=4)

    # -- finding it ----------------------------------------------------------------------------

    def _window(self) -> dict[str, datetime.datetime]:
        """The list's filter: created since shortly before the request was sent, and, for a
        create of an earlier process (looked for long after), until shortly after it."""
        window = {
            "created_after": datetime.datetime.fromtimestamp(
                self._sent_at - CLOCK_SLACK, datetime.UTC
            )
        }
        if self._digest is not None:
            window["created_before"] = datetime.datetime.fromtimestamp(
                self._sent_at + CLOCK_SLACK, datetime.UTC
            )
        return window

    def _look(self, client: Client) -> list[Prediction]:
        """The matches, looked for up to ``len(FIND_DELAYS)`` times; a look that fails (the
        list could not be read) counts as one that found nothing."""
        for delay in FIND_DELAYS:
            if delay:
                client.clock.sleep(delay)
            with contextlib.suppress(Exception):
                found = self._scan(client)
                if found:
                    return found
        return []

    def _scan(self, client: Client) -> list[Prediction]:
        from replicate._generated import predictions_list
        from replicate.prediction import Prediction

        runs = client.predictions
        page = runs._page(Prediction, ..., predictions_list, **self._window())
        found = self._matching(page.results)
        pages = 1
        while not found and page.next and pages < MAX_PAGES:
            page = runs.list(page.next)
            found = self._matching(page.results)
            pages += 1
        return found

    async def _async_look(self, client: Client) -> list[Prediction]:
        for delay in FIND_DELAYS:
            if delay:
                await client.clock.async_sleep(delay)
            with contextlib.suppress(Exception):
                found = await self._async_scan(client)
                if found:
                    return found
        return []

    async def _async_scan(self, client: Client) -> list[Prediction]:
        from replicate._generated import predictions_list
        from replicate.prediction import Prediction

        runs = client.predictions
        window = self._window()
        page = await runs._async_page(Prediction, ..., predictions_list, **window)
        found = self._matching(page.results)
        pages = 1
        while not found and page.next and pages < MAX_PAGES:
            page = await runs.async_list(page.next)
            found = self._matching(page.results)
            pages += 1
        return found

    def _same_input(self, input: Any) -> bool:
        if self._digest is None:
            return bool(input == self._input)
        from replicate._journal import input_digest

        return input is not None and input_digest(input) == self._digest

    def _matching(self, predictions: list[Prediction]) -> list[Prediction]:
        """Those with this create's input (and version) that no call holds, newest first, as
        the API lists them."""
        claims = self._client._connections.claims
        reference = self._reference
        version = reference.version_id if reference.kind == "version" else None
        found = [
            prediction
            for prediction in predictions
            if prediction.id not in claims
            and self._same_input(prediction.input)
            and (version is None or prediction.version == version)
        ]
        return found


def _running(predictions: list[Prediction]) -> list[Prediction]:
    return [p for p in predictions if not has_ended(p.status, p.completed_at)]
