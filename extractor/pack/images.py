"""Pages to pictures within a profile's limits.

A page is laid out by WeasyPrint (the PDF report's engine and fonts) at half the image's
pixel width, rasterized by PDFium and encoded as JPEG (or palette PNG, which keeps text
crisp in few bytes).  A picture over the byte limit is first encoded at a lower JPEG
quality; if even that is too big the pages are laid out shorter, so the text keeps its
size: a picture is never scaled down below the width it was laid out for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Sequence

from ..errors import PackError, RenderError
from ..i18n import N_
from .profiles import MIN_PAGE_HEIGHT_PX, ImageLimits

CSS_SCALE = 2  # image pixels per CSS px
JPEG_QUALITIES = (90, 82, 75)
LOW_JPEG_QUALITIES = (68, 60)  # tried after palette PNG: JPEG artefacts blur small text
PNG_COLORS = 64


@dataclass(frozen=True)
class Picture:
    data: bytes
    ext: str  # "jpg" or "png"
    width: int
    height: int
    quality: str  # "jpeg-90", "png-64", …
    anchors: tuple[str, ...]  # the element ids on the page (event ids of a chat page)


def layout(html: str, stylesheets: Sequence[str]) -> list:
    """WeasyPrint pages of ``html`` with the report's fonts; no file or URL is loaded."""
    from ..render.pdf import pdf_resources

    res = pdf_resources()
    from weasyprint import HTML

    try:
        document = HTML(string=html, url_fetcher=res.fetcher).render(
            font_config=res.font_config, stylesheets=[*(res.stylesheet(s) for s in stylesheets), res.font_css])
    except Exception as exc:  # WeasyPrint raises many kinds
        raise RenderError(N_("an upload image could not be laid out: {error}: {problem}"), error=type(exc).__name__,
                          problem=exc) from None
    return document


def rasterize(document, width_px: int) -> list[tuple[object, tuple[str, ...]]]:
    """Each page as a PIL image ``width_px`` wide, with the ids anchored on it."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(document.write_pdf())
    out = []
    try:
        for index, page in enumerate(document.pages):
            pdf_page = pdf[index]
            scale = width_px / pdf_page.get_width()
            image = pdf_page.render(scale=scale).to_pil().convert("RGB")
            out.append((_trim_bottom(image), tuple(page.anchors)))
    finally:
        pdf.close()
    return out


def _trim_bottom(image, margin: int = 24):
    """The page without the blank below its last line (fewer bytes, nothing to scroll)."""
    from PIL import ImageOps

    box = ImageOps.invert(image.convert("L")).point(lambda v: 255 if v > 12 else 0).getbbox()
    if box is None:
        return image
    bottom = min(image.height, box[3] + margin)
    return image.crop((0, 0, image.width, bottom)) if bottom < image.height else image


def encode(image, limits: ImageLimits) -> tuple[bytes, str, str] | None:
    """The best encoding of ``image`` within ``limits.max_bytes``, or None."""
    candidates: list[tuple[str, object]] = []
    if "jpg" in limits.formats:
        candidates += [("jpg", q) for q in JPEG_QUALITIES]
    if "png" in limits.formats:
        candidates.append(("png", PNG_COLORS))
    if "jpg" in limits.formats:
        candidates += [("jpg", q) for q in LOW_JPEG_QUALITIES]
    for ext, setting in candidates:
        buf = io.BytesIO()
        if ext == "jpg":
            image.save(buf, "JPEG", quality=setting, optimize=True, progressive=True)
            label = f"jpeg-{setting}"
        else:
            from PIL import Image

            image.quantize(colors=setting, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
            label = f"png-{setting}"
        data = buf.getvalue()
        if len(data) <= limits.max_bytes:
            return data, ext, label
    return None


def pictures(render_html, stylesheets: Sequence[str], limits: ImageLimits, what: str) -> list[Picture]:
    """``render_html(page_w, page_h)`` laid out and encoded; pages made shorter until
    every picture fits the byte limit, down to :data:`MIN_PAGE_HEIGHT_PX`."""
    height = limits.page_height_px
    while True:
        page_w, page_h = limits.width_px // CSS_SCALE, height // CSS_SCALE
        document = layout(render_html(page_w, page_h), stylesheets)
        out: list[Picture] = []
        for image, anchors in rasterize(document, limits.width_px):
            encoded = encode(image, limits)
            if encoded is None:
                break
            data, ext, label = encoded
            out.append(Picture(data, ext, image.width, image.height, label, anchors))
        else:
            return out
        if height <= MIN_PAGE_HEIGHT_PX:
            raise PackError(N_("{what}: a page of {width}×{height} px is still over {max:,} bytes at the lowest "
                               "quality; the profile's byte limit is too small for a readable picture"),
                            what=what, width=limits.width_px, height=height, max=limits.max_bytes)
        height = max(MIN_PAGE_HEIGHT_PX, height * 2 // 3)
