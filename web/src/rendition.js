// Which file of a video the player plays (docs/design/web.md, "Media"): a video with a 360p
// rendition (`media_url_360`, processed uploads) plays it on a small screen (CSS width x
// devicePixelRatio <= SMALL_PX) or when the connection asks to save data or is 2g / 3g
// (`navigator.connection`, where the browser has it); otherwise, and for every video without
// one, `media_url`.

export const SMALL_PX = 640;
const SLOW = new Set(['slow-2g', '2g', '3g']);

// `env` for tests: { width, dpr, connection }; the browser's by default.
export function mediaUrlOf(video, env = browserEnv()) {
  if (!video.media_url_360) return video.media_url || '';
  if (!video.media_url) return video.media_url_360;
  const c = env.connection;
  const slow = !!c && (c.saveData === true || SLOW.has(c.effectiveType));
  return slow || env.width * env.dpr <= SMALL_PX ? video.media_url_360 : video.media_url;
}

function browserEnv() {
  return { width: window.innerWidth, dpr: window.devicePixelRatio || 1, connection: navigator.connection };
}

// A feed item lacks `media_url_360`, `cover_url` and the duet / stitch switches (the feed's
// items are small); a processed upload (`/media/VIDEO/720.mp4`) has them, and `withDetails`
// adds them from GET /v1/videos/ID. Other items, and a failed read, are returned as they were.
export async function withDetails(api, item) {
  if (!/^\/media\/[^/]+\/720\.mp4$/.test(item.media_url || '') || 'media_url_360' in item) return item;
  try {
    const v = await api.get(`/v1/videos/${encodeURIComponent(item.video)}`);
    return { ...item, media_url_360: v.media_url_360, cover_url: v.cover_url, allow_duet: v.allow_duet, allow_stitch: v.allow_stitch };
  } catch {
    return item;
  }
}
