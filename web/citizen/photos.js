// Photos are shrunk on the phone before upload, to save the citizen's data: at most
// MAX_SIDE pixels on the long side, re-encoded as JPEG. The server cleans them again
// (upright, no EXIF/GPS) whatever it gets.

export const MAX_SIDE = 1600;
export const QUALITY = 0.82;

/** shrink(file) -> Blob (image/jpeg, long side <= MAX_SIDE). A file the browser cannot
 * decode is refused (throws), never uploaded as it is. */
export async function shrink(file, maxSide = MAX_SIDE) {
  // imageOrientation "from-image": a portrait phone photo stays upright once its EXIF is gone.
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // a transparent PNG becomes white, not black, as JPEG
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob) throw new Error("encode failed");
    return blob;
  } finally {
    bitmap.close();
  }
}
