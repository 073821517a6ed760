"""A counter bumped by every transaction that changes what the public pages show."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from retreats.extensions import db

PUBLIC_PAGES = "public_pages"


class ContentVersion(db.Model):
    __tablename__ = "content_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
