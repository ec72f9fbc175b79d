"""Keeping an upload's lease alive while its bytes flow, and stopping it once the lease is lost.

begin_upload grants a lease of ``upload_lease_seconds``; glance-registry returns an image
whose lease has passed to ``queued`` (its worker is presumed dead). An UploadLease renews
it from a thread of its own every third of the lease, whatever the client's pace (a slow
client may take longer than that to fill one chunk), so the data path never waits for the
registry. The chunk iterator wrapped by guard() ends the upload when the lease is lost:

* the image was deleted meanwhile (renewal -> ImageNotFound): 410, as when
  finish_upload finds it deleted;
* the image left ``saving`` (renewal -> InvalidStatusTransition: the lease was swept), a
  newer upload holds it (renewal with this upload's token -> UploadSuperseded), or no
  renewal succeeded for a whole lease (the registry could not be reached, so it may have
  been swept): LeaseExpired, 409. Going on could publish this upload's data over a newer
  upload of the same image.

A registry that does not answer one renewal is not fatal: the next interval tries again.
"""

import logging
import time

import oslo_messaging

from api_service import exceptions as api_exceptions
from api_service.services.lease_renewal import RenewedLease
from common import exceptions

LOG = logging.getLogger(__name__)


class UploadLease(RenewedLease):
    """The lease of one upload. Make it just before begin_upload, start() it once granted."""

    _log = LOG

    def __init__(self, ctx, registry, image_id, lease_seconds, clock=time.monotonic,
                 upload_token=None):
        super().__init__(lease_seconds, 'upload-lease-%s' % image_id, clock=clock)
        self._ctx = ctx
        self._registry = registry
        self.image_id = image_id
        self.upload_token = upload_token
        self._renewable = True
        self._lost = None

    @property
    def description(self):
        return 'the upload lease of image %s' % self.image_id

    def _ask_registry(self):
        self._registry.renew_upload(self._ctx, image_id=self.image_id,
                                    lease_seconds=self.lease_seconds,
                                    upload_token=self.upload_token)

    def _ends_renewal(self, exc):
        if isinstance(exc, exceptions.ImageNotFound):
            self._lost = api_exceptions.ImageDeletedDuringUpload(image_id=self.image_id)
            return True
        if isinstance(exc, (exceptions.InvalidStatusTransition, exceptions.UploadSuperseded)):
            self._lost = api_exceptions.LeaseExpired(image_id=self.image_id,
                                                     seconds=self.lease_seconds)
            return True
        if isinstance(exc, oslo_messaging.RPCVersionCapError):
            # [registry] version_cap holds the registries below 1.3 (a rolling upgrade):
            # the lease stays as begin_upload granted it, as before renewal existed.
            LOG.info('Registry version cap forbids renewing upload leases; the upload of '
                     'image %s keeps its first lease.', self.image_id)
            self._renewable = False
            return True
        return False

    def check(self):
        """Raise if the upload must stop: the image is gone, or the lease is lost."""
        if self._lost is not None:
            raise self._lost
        if self._renewable and self._unconfirmed_for_a_whole_lease():
            raise api_exceptions.LeaseExpired(image_id=self.image_id,
                                              seconds=self.lease_seconds)

    def guard(self, chunks):
        """Pass ``chunks`` on, checking the lease before each one and after the last.

        After the last chunk the store fsyncs, publishes and then finish_upload runs: the
        lease is renewed first (with this upload's token), so that an upload whose image
        was handed back meanwhile publishes nothing, and publishing happens well inside a
        lease the registry holds.
        """
        for chunk in chunks:
            self.check()
            yield chunk
        if self._renewable:
            self.renew()
        self.check()
