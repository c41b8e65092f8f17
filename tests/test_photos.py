"""Photo cleaning (issue 13, part 1): every uploaded image is decoded, turned upright,
stripped of its metadata (GPS above all) and re-encoded before it is stored and served.

The images are made here with Pillow and pillow-heif; they go through real HTTP
(multipart GraphQL uploads) and come back through the photo routes."""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib

import anyio
import pillow_heif
import pytest
from helpers import approved_photo, auth_header, gql, run_jogo, share_photo, upload_report
from PIL import ExifTags, Image

from jogo.platform.auth.roles import Role

pillow_heif.register_heif_opener()

# The example: the citizen's home, 7°56'30"S 112°37'45"E.
GPS_LATITUDE = (7.0, 56.0, 30.0)
GPS_LONGITUDE = (112.0, 37.0, 45.0)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
    b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="7,56.5S"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
# The maker's name as an IPTC By-line (2:80) in a Photoshop APP13 block.
IPTC_NAME = b"Budi Santoso"
COMMENT = b"rumah Budi, Jl. Ijen 12"
# Strings that must not survive in a cleaned file, whatever the parser says.
# The GPS latitude as Pillow's EXIF stores it (three rationals, little-endian).
GPS_BYTES = struct.pack("<6I", 7, 1, 56, 1, 30, 1)
LEFTOVERS = (GPS_BYTES, b"Exif\x00\x00", b"ns.adobe.com", b"Photoshop 3.0", IPTC_NAME, COMMENT)

FEED = "query { sharedPosts(first: 10) { edges { node { id latitude longitude photoUrl } } } }"
ATTACHMENTS = "query($id: ID!) { report(id: $id) { attachments { contentType sizeBytes url } } }"


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    exif[ExifTags.Base.DateTimeOriginal] = "2026:11:27 14:30:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def iptc_segment() -> bytes:
    """An APP13 segment: Photoshop 3.0, 8BIM resource 0x0404 with one IPTC dataset."""
    dataset = b"\x1c\x02\x50" + struct.pack(">H", len(IPTC_NAME)) + IPTC_NAME
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(dataset)) + dataset
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def two_colour(width: int, height: int) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def gps_jpeg(orientation: int | None = None, size: tuple[int, int] = (64, 32)) -> bytes:
    out = io.BytesIO()
    two_colour(*size).save(
        out,
        format="JPEG",
        exif=gps_exif(orientation),
        xmp=XMP,
        comment=COMMENT,
        extra=iptc_segment(),
    )
    data = out.getvalue()
    # The test image holds what the issue says: GPS, XMP and IPTC, readable by anyone.
    check = Image.open(io.BytesIO(data))
    gps = check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "S"
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLatitude]) == GPS_LATITUDE
    assert "xmp" in check.info and "photoshop" in check.info
    assert all(leftover in data for leftover in LEFTOVERS)
    return data


def heic() -> bytes:
    out = io.BytesIO()
    two_colour(64, 32).save(out, format="HEIF", exif=gps_exif().tobytes())
    data = out.getvalue()
    assert data[4:12] == b"ftypheic"
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def png_with_metadata() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", COMMENT.decode())
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    image = Image.new("RGBA", (40, 30), (10, 200, 10, 128))
    out = io.BytesIO()
    image.save(out, format="PNG", exif=gps_exif(), pnginfo=text)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def exif_only_jpeg() -> bytes:
    """The issue's 60-byte "JPEG": a start marker, one EXIF segment, an end marker."""
    payload = (b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00" + b"\x00\x00").ljust(52, b"\x00")
    data = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + b"\xff\xd9"
    assert len(data) == 60
    return data


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG of one colour (1 bit per pixel) that compresses to a few kB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    squeeze = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def assert_clean(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment", "Comment"} & set(
        image.info
    ), image.info
    for leftover in LEFTOVERS:
        assert leftover not in data, leftover
    return image


@pytest.fixture
async def people(settings, two_tenants):
    tenant = two_tenants.a
    return (
        await auth_header(settings, Role.CITIZEN, tenant),
        await auth_header(settings, Role.OPERATOR, tenant),
    )


async def test_an_approved_posts_photo_has_no_location(app_client, two_tenants, people):
    tenant = two_tenants.a
    original = gps_jpeg()
    post, served, ctype = await approved_photo(app_client, tenant, people, original)
    assert post["latitude"] is None and post["longitude"] is None
    assert ctype == "image/jpeg" and served != original
    image = assert_clean(served)
    assert image.format == "JPEG" and image.size == (64, 32)
    _, body = await gql(app_client, f"/t/{tenant.slug}/graphql", FEED)
    [node] = [
        e["node"] for e in body["data"]["sharedPosts"]["edges"] if e["node"]["id"] == post["id"]
    ]
    assert node["latitude"] is None and node["longitude"] is None
    # The other tenant cannot reach the photo.
    other = post["photoUrl"].replace(tenant.slug, two_tenants.b.slug)
    assert (await app_client.get(other)).status_code == 404


async def test_a_report_photo_is_stored_clean(app_client, settings, two_tenants):
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    original = gps_jpeg()
    created = await upload_report(
        app_client, tenant.slug, citizen, [("x.jpg", original, "image/jpeg")]
    )
    assert created["errors"] == [], created
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", ATTACHMENTS, citizen, id=created["report"]["id"]
    )
    [photo] = body["data"]["report"]["attachments"]
    got = await app_client.get(photo["url"], headers=citizen)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert photo["contentType"] == "image/jpeg" and photo["sizeBytes"] == len(got.content)
    assert got.content != original
    assert_clean(got.content)
    # Nothing but the clean file is on disk.
    stored = [
        p for p in (settings.data_dir / "attachments" / str(tenant.id)).rglob("*") if p.is_file()
    ]
    assert got.content in [p.read_bytes() for p in stored]
    assert all(GPS_BYTES not in p.read_bytes() for p in stored)


async def test_the_orientation_is_applied_to_the_pixels(app_client, two_tenants, people):
    # Orientation 6: the camera was turned; the picture is shown turned 90° clockwise.
    _, served, _ = await approved_photo(
        app_client, two_tenants.a, people, gps_jpeg(orientation=6, size=(80, 40))
    )
    image = assert_clean(served).convert("RGB")
    assert image.size == (40, 80)  # width and height swapped
    # The red left half is now on top, the blue right half below.
    red, _, blue = image.getpixel((20, 10))
    assert red > 150 and blue < 100
    red, _, blue = image.getpixel((20, 70))
    assert blue > 150 and red < 100


async def test_a_heic_photo_is_served_as_jpeg(app_client, two_tenants, people):
    _, served, ctype = await approved_photo(
        app_client, two_tenants.a, people, heic(), name="IMG_0001.HEIC", ctype="image/heic"
    )
    assert ctype == "image/jpeg"
    image = assert_clean(served)
    assert image.format == "JPEG" and image.size == (64, 32)


async def test_a_png_stays_png_without_metadata(app_client, two_tenants, people):
    original = png_with_metadata()
    _, served, ctype = await approved_photo(
        app_client, two_tenants.a, people, original, name="layar.png", ctype="image/png"
    )
    assert ctype == "image/png"
    image = assert_clean(served)
    assert image.format == "PNG" and image.size == (40, 30) and image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (10, 200, 10, 128)


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (exif_only_jpeg(), "JPEG, PNG, WebP or HEIC"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "JPEG, PNG, WebP or HEIC"),
        (gps_jpeg()[:300], "JPEG, PNG, WebP or HEIC"),  # cut off in the middle
        (b"GIF89a" + bytes(40), "JPEG, PNG, WebP or HEIC"),
        (png_bomb(20_000, 20_000), "megapixels"),  # 400 MP; Pillow's own bomb check
        (png_bomb(8_000, 8_000), "megapixels"),  # 64 MP; over our 50 MP
    ],
    ids=["exif-only-jpeg", "png-header-and-zeros", "truncated-jpeg", "gif", "bomb", "too-big"],
)
async def test_what_is_not_a_whole_image_is_refused(
    app_client, settings, two_tenants, owner, people, photo, message
):
    tenant = two_tenants.a
    author, _ = people
    assert len(photo) < 200_000  # all of them are small uploads
    before = await owner.fetchval(
        "SELECT count(*) FROM shared_posts WHERE tenant_id = $1", tenant.id
    )
    shared = await share_photo(app_client, tenant, author, photo)
    assert shared["post"] is None
    [error] = shared["errors"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == "photo"
    assert message in error["message"] and "Foto" in error["message"]  # Indonesian first
    assert (
        await owner.fetchval("SELECT count(*) FROM shared_posts WHERE tenant_id = $1", tenant.id)
        == before
    )
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    report = await upload_report(app_client, tenant.slug, citizen, [("x.jpg", photo, "image/jpeg")])
    assert report["report"] is None
    assert [(e["code"], e["field"]) for e in report["errors"]] == [("INVALID_INPUT", "photos")]
    assert message in report["errors"][0]["message"]


async def test_photos_stored_before_cleaning_are_held_back_until_cleaned(
    app_client, settings, database, two_tenants, people, owner
):
    """Files stored by earlier versions (migration 0017 marks them) are not served;
    ``jogo photos clean`` re-encodes them; one that does not decode stays unserved."""
    tenant = two_tenants.a
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    created = await upload_report(
        app_client,
        tenant.slug,
        citizen,
        [("a.jpg", gps_jpeg(), "image/jpeg"), ("b.jpg", gps_jpeg(), "image/jpeg")],
    )
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", ATTACHMENTS, citizen, id=created["report"]["id"]
    )
    legacy, broken = body["data"]["report"]["attachments"]
    post, _, _ = await approved_photo(app_client, tenant, people, gps_jpeg())
    # As an earlier version stored them: the upload byte for byte, not yet cleaned.
    files = {}
    for photo, data in ((legacy, gps_jpeg()), (broken, exif_only_jpeg())):
        row = await owner.fetchrow(
            "SELECT id, storage_key FROM report_attachments WHERE id = $1",
            uuid.UUID(photo["url"].rsplit("/", 1)[1]),
        )
        await owner.execute(
            "UPDATE report_attachments SET cleaned = false WHERE id = $1", row["id"]
        )
        files[photo["url"]] = settings.data_dir / "attachments" / row["storage_key"]
        files[photo["url"]].write_bytes(data)
    key = await owner.fetchval(
        "UPDATE shared_posts SET photo_cleaned = false WHERE id = $1 RETURNING photo_key",
        uuid.UUID(post["id"]),
    )
    (settings.data_dir / "shared" / key).write_bytes(gps_jpeg())
    for url in (legacy["url"], broken["url"]):
        assert (await app_client.get(url, headers=citizen)).status_code == 404
    assert (await app_client.get(post["photoUrl"])).status_code == 404

    result = await anyio.to_thread.run_sync(
        lambda: run_jogo(["photos", "clean"], database, JOGO_DATA_DIR=str(settings.data_dir))
    )
    assert result.returncode == 1, result.stderr  # one file was refused
    assert json.loads(result.stdout) == {"cleaned": 2, "refused": 1, "missing": 0}
    got = await app_client.get(legacy["url"], headers=citizen)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert_clean(got.content)
    assert files[legacy["url"]].read_bytes() == got.content
    public = await app_client.get(post["photoUrl"])
    assert public.status_code == 200
    assert_clean(public.content)
    assert (await app_client.get(broken["url"], headers=citizen)).status_code == 404
    _, body = await gql(
        app_client, f"/t/{tenant.slug}/graphql", ATTACHMENTS, citizen, id=created["report"]["id"]
    )
    sizes = {a["url"]: a["sizeBytes"] for a in body["data"]["report"]["attachments"]}
    assert sizes[legacy["url"]] == len(got.content)
    # Again: nothing left to clean; the broken file is still held back.
    again = await anyio.to_thread.run_sync(
        lambda: run_jogo(["photos", "clean"], database, JOGO_DATA_DIR=str(settings.data_dir))
    )
    assert json.loads(again.stdout) == {"cleaned": 0, "refused": 1, "missing": 0}


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def palette_png_with_a_transparent_entry() -> bytes:
    image = Image.new("P", (20, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    image.paste(1, (10, 0, 20, 10))  # right half: entry 1 (blue)
    return encoded(image, "PNG", transparency=0)  # entry 0 (the red left half) is see-through


def gray_jpeg_with_an_srgb_profile() -> bytes:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encoded(Image.new("L", (24, 12), 90), "JPEG", icc_profile=icc)


async def test_a_palette_png_keeps_its_palette_and_its_transparent_entry(
    app_client, two_tenants, people
):
    _, served, ctype = await approved_photo(
        app_client,
        two_tenants.a,
        people,
        palette_png_with_a_transparent_entry(),
        name="peta.png",
        ctype="image/png",
    )
    image = assert_clean(served)
    assert (ctype, image.format, image.mode) == ("image/png", "PNG", "P")
    rgba = image.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0  # the transparent entry stayed transparent
    assert rgba.getpixel((15, 5)) == (0, 0, 255, 255)


async def test_a_cmyk_jpeg_is_served_as_rgb(app_client, two_tenants, people):
    original = encoded(Image.new("CMYK", (30, 20), (0, 255, 255, 0)), "JPEG")  # red in ink
    _, served, ctype = await approved_photo(app_client, two_tenants.a, people, original)
    image = assert_clean(served)
    assert (ctype, image.format, image.mode, image.size) == ("image/jpeg", "JPEG", "RGB", (30, 20))
    red, green, blue = image.getpixel((15, 10))
    assert red > 200 and green < 80 and blue < 80


async def test_a_gray_photo_with_a_profile_stays_gray_without_it(app_client, two_tenants, people):
    _, served, ctype = await approved_photo(
        app_client, two_tenants.a, people, gray_jpeg_with_an_srgb_profile()
    )
    image = assert_clean(served)
    assert (ctype, image.mode, image.size) == ("image/jpeg", "L", (24, 12))
    assert "icc_profile" not in image.info
    assert abs(image.getpixel((5, 5)) - 90) <= 3


async def test_a_photo_is_gone_once_the_command_turns_sharing_off(app_client, two_tenants, people):
    from jogo.platform import registry

    tenant = two_tenants.a
    post, _, _ = await approved_photo(app_client, tenant, people, gps_jpeg())  # served: 200
    modules = set(tenant.modules)
    await registry.set_modules(tenant.slug, modules - {"sharing"})
    try:
        response = await app_client.get(post["photoUrl"])
        assert response.status_code == 404, response.text
    finally:
        await registry.set_modules(tenant.slug, modules)
    assert (await app_client.get(post["photoUrl"])).status_code == 200
