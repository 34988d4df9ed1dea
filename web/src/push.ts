// Subscribes this browser to Web Push: the service worker (public/sw.js) shows each
// message; the server gets the subscription's endpoint and keys.

export type BrowserPushSubscription = { endpoint: string; p256dh: string; auth: string };

export const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window;

export async function subscribeThisBrowser(publicKey: string): Promise<BrowserPushSubscription> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted')
    throw new Error('This browser does not allow notifications from this site.');
  const registration = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  // A browser that cannot reach its push service may never answer; say so instead.
  const subscription = await Promise.race([
    registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: base64UrlToBytes(publicKey),
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the browser’s push service did not answer.')), 15_000),
    ),
  ]);
  const { endpoint, keys } = subscription.toJSON();
  if (!endpoint || !keys?.p256dh || !keys.auth)
    throw new Error('The browser gave an incomplete subscription.');
  return { endpoint, p256dh: keys.p256dh, auth: keys.auth };
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
