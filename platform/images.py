"""Uploaded images, cleaned before anything is stored: every path that accepts an image
(report photos, shared-post photos) goes through :func:`clean_image`.

An upload is decoded with Pillow (JPEG, PNG, WebP, and HEIC/HEIF from phones through
pillow-heif); what does not decode fully is refused. Images of more than
:data:`MAX_PIXELS` are refused before their pixels are read (decompression bombs). The
EXIF orientation is applied to the pixels, then the image is written anew with no
metadata at all: no EXIF (GPS, camera, times), XMP, IPTC or comments. An embedded ICC
colour profile is applied to the pixels (converted to sRGB, the web's default) and not
written out: a profile is a free-form blob that can carry any text or bytes, so none of the
upload's bytes reach the clean file. The clean file is what is stored, hashed and served.

Output: PNG when the upload is a PNG or has transparency (screenshots stay sharp), else
JPEG (quality :data:`JPEG_QUALITY`); a HEIC photo becomes a JPEG. Only the first frame of
an animated or multi-image file is kept.
A palette PNG stays a palette (as RGB it would triple). A clean file is at most
:data:`MAX_BYTES`, like an upload: a PNG without transparency that grows past it is
written as JPEG instead; anything else that would is refused.

Decoding is CPU work: :func:`clean_image` runs it in a worker thread, at most
:data:`PARALLEL` at once per process, so the event loop keeps serving.

Refusals are ``InvalidInput`` on the caller's field, in Bahasa Indonesia with English
beside it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import anyio
import pillow_heif
from PIL import Image, ImageCms, ImageOps

from jogo.platform.errors import InvalidInput

pillow_heif.register_heif_opener()

MAX_BYTES = 10 * 1024 * 1024
# 50 megapixels: a 50 MP phone camera (8160 x 6120) fits; decoded, that is ~150 MB of RGB.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 88
PARALLEL = 2
# The decoders an upload may reach; nothing else is even tried. (Multi-picture JPEGs,
# MPO, come through the JPEG decoder.)
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}

EMPTY_MESSAGE = "Foto kosong. / The photo is empty."
TOO_BIG_MESSAGE = "Foto paling besar 10 MB. / A photo may be at most 10 MB."
NOT_IMAGE_MESSAGE = (
    "Foto harus gambar JPEG, PNG, WebP atau HEIC yang utuh. "
    "/ A photo must be a complete JPEG, PNG, WebP or HEIC image."
)
TOO_BIG_CLEANED_MESSAGE = (
    "Foto melebihi 10 MB setelah dibersihkan; kirim foto yang lebih kecil atau JPEG. "
    "/ The photo exceeds 10 MB once cleaned; send a smaller photo or a JPEG."
)
TOO_MANY_PIXELS_MESSAGE = (
    f"Foto paling besar {MAX_PIXELS // 1_000_000} megapiksel. "
    f"/ A photo may have at most {MAX_PIXELS // 1_000_000} megapixels."
)

_limiter = anyio.CapacityLimiter(PARALLEL)
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class CleanImage:
    """``data``: the re-encoded file, the only bytes to store; ``content_type``:
    ``image/jpeg`` or ``image/png``; ``sha256``: hex digest of ``data``; ``width`` and
    ``height`` in pixels, upright."""

    data: bytes
    content_type: str
    sha256: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        """The file extension for ``content_type``, without the dot (``jpg`` or ``png``), as used in
        storage keys."""
        return EXTENSIONS[self.content_type]


async def clean_image(data: bytes, field: str) -> CleanImage:
    """The cleaned image of an upload (see the module). Raises ``InvalidInput`` on
    ``field`` for an empty, too large (:data:`MAX_BYTES`), undecodable or too many pixels
    (:data:`MAX_PIXELS`) upload."""
    if not data:
        raise InvalidInput(EMPTY_MESSAGE, field=field)
    if len(data) > MAX_BYTES:
        raise InvalidInput(TOO_BIG_MESSAGE, field=field)
    return await anyio.to_thread.run_sync(clean_image_sync, data, field, limiter=_limiter)


def clean_image_sync(data: bytes, field: str) -> CleanImage:
    """:func:`clean_image` in the calling thread (for workers and tools)."""
    image = _decode(data, field)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    lossless = image.format == "PNG" or has_alpha
    # A CMYK (or Lab) profile would be wrong on the RGB pixels written below.
    icc = image.info.get("icc_profile") if image.mode not in ("CMYK", "LAB", "YCbCr") else None
    # A palette's transparent entries are pixels, not metadata: kept with the palette.
    transparency = image.info.get("transparency") if image.mode == "P" else None
    upright = _upright(image, field)
    # Nothing of the upload's metadata may reach the encoder: the JPEG writer, for one,
    # copies ``info["comment"]`` on its own.
    upright.info = {}
    if icc:
        upright = _to_srgb(upright, icc)
    if lossless:
        clean = _png(upright, has_alpha, transparency)
        content_type = "image/png"
        if len(clean) > MAX_BYTES and not has_alpha:
            # Re-encoding may grow a file (a palette or 16-bit PNG); one without
            # transparency can still be a photo within the limit as JPEG.
            lossless = False
    if not lossless:
        clean = _jpeg(upright)
        content_type = "image/jpeg"
    if len(clean) > MAX_BYTES:
        raise InvalidInput(TOO_BIG_CLEANED_MESSAGE, field=field)
    return CleanImage(
        clean, content_type, hashlib.sha256(clean).hexdigest(), upright.width, upright.height
    )


def _png(image: Image.Image, has_alpha: bool, transparency: Any) -> bytes:
    """``image`` as PNG, in its own mode where PNG has it (a palette stays a palette, so
    the file does not triple), else RGB(A)."""
    options: dict[str, Any] = {}
    if image.mode == "P" and transparency is not None:
        options["transparency"] = transparency
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, **options)
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def _decode(data: bytes, field: str) -> Image.Image:
    """The first frame, fully decoded; its size is checked before its pixels are read."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:
        raise InvalidInput(TOO_MANY_PIXELS_MESSAGE, field=field) from None
    except Exception:
        raise InvalidInput(NOT_IMAGE_MESSAGE, field=field) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidInput(NOT_IMAGE_MESSAGE, field=field)
    if width * height > MAX_PIXELS:
        raise InvalidInput(TOO_MANY_PIXELS_MESSAGE, field=field)
    try:
        image.seek(0)
        image.load()
    except Image.DecompressionBombError:
        raise InvalidInput(TOO_MANY_PIXELS_MESSAGE, field=field) from None
    except Exception:
        raise InvalidInput(NOT_IMAGE_MESSAGE, field=field) from None
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """``image`` (RGB or RGBA) with its ICC profile ``icc`` applied, in sRGB; any other
    mode, or a profile that littlecms can't read or convert from, leaves the pixels as
    they are (the profile is dropped either way)."""
    if image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except Exception:
        return image
    return converted if converted is not None else image


def _upright(image: Image.Image, field: str) -> Image.Image:
    """A copy with the EXIF orientation applied to the pixels (none: as it is)."""
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:
        raise InvalidInput(NOT_IMAGE_MESSAGE, field=field) from None
    return upright if upright is not image else image.copy()
