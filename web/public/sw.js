// Shows the server's Web Push messages, and opens the post (or the notifications page)
// when one is clicked. The payload is JSON: id, kind, message, peek, url.
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { message: event.data ? event.data.text() : 'New notification' };
  }
  event.waitUntil(
    self.registration.showNotification(data.message || 'New notification', {
      body: data.peek || '',
      tag: data.id ? `notification-${data.id}` : undefined,
      icon: '/favicon.svg',
      data: { url: data.url || '/notifications' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data?.url || '/notifications';
  event.waitUntil(self.clients.openWindow(url));
});
