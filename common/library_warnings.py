"""Silences the start-up warnings of libraries that are not about anything Glimpse does.

Imported by the api_service and registry_service packages, so it runs before any of their
modules imports oslo.messaging (filters only apply to warnings raised after they are set).
"""

import warnings

# oslo.messaging imports oslo.service, whose eventlet backend module imports eventlet at load
# time even when nothing uses it (Glimpse runs oslo.messaging's threading executor and never
# imports eventlet itself); eventlet then warns on stderr at every daemon start that it is
# deprecated. That says nothing an operator can act on, so this one warning is dropped. Its
# class cannot be named here without importing eventlet, which would raise it: match its text.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated', category=Warning)
