"""Export archive encoders (``ArchiveWriter``): ZIP streaming with an XLSX workbook."""

from reseller_adapters.archives.zip_archive import StreamingZipArchiveWriter

__all__ = ["StreamingZipArchiveWriter"]
