// Mutes or unmutes notifications about one post (delivery API: Post.viewerHasMuted).
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { useDeliveryApi } from '../delivery-api';
import { MutePost, PostMuteState, UnmutePost } from '../operations/delivery';

export function MuteButton({ postId }: { postId: string }) {
  const delivery = useDeliveryApi();
  if (delivery.state !== 'available') return null;
  return <Toggle postId={postId} />;
}

function Toggle({ postId }: { postId: string }) {
  const [{ data }] = useQuery({ query: PostMuteState, variables: { id: postId } });
  const [muting, mute] = useMutation(MutePost);
  const [unmuting, unmute] = useMutation(UnmutePost);
  // The last mutation's answer, which is newer than the query's.
  const [answer, setAnswer] = useState<boolean>();
  const muted = answer ?? data?.post?.viewerHasMuted;
  if (muted === undefined) return null;

  async function toggle() {
    const result = muted ? await unmute({ postId }) : await mute({ postId });
    const post =
      result.data && ('mutePost' in result.data ? result.data.mutePost : result.data.unmutePost);
    if (post) setAnswer(post.viewerHasMuted);
  }

  return (
    <button
      type="button"
      className="secondary"
      disabled={muting.fetching || unmuting.fetching}
      onClick={() => void toggle()}
    >
      {muted ? 'Unmute notifications' : 'Mute notifications'}
    </button>
  );
}
