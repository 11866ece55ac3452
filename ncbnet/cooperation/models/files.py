"""What a file kept with a request's step or a task holds: its name, type, size, checksum and bytes."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

__all__: list[str] = []


class StoredFile(models.Model):
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()

    class Meta:
        abstract = True
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name
