"""Conversations as evidence: chat exports (WhatsApp, Telegram, Messenger/Instagram, Discord,
Signal text) and mailboxes, read into one message model (:mod:`.model`).

``EXTRACTOR`` summarises a stored export into its item record; :func:`read_messages` streams
its messages again whenever they are needed.
"""

from evidence_kit.extractors.chat.extractor import EXTRACTOR, NotAChatError, read_messages

__all__ = ["EXTRACTOR", "NotAChatError", "read_messages"]
