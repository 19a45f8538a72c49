/**
 * Ownership of Tone nodes. Each audio class (`MusicBed`, `SessionGraph`, `SoundEngine`) creates
 * its nodes through one `OwnedNodes` list, and its `dispose()` frees exactly that list (plus what
 * the objects it owns hold), so `ownedNodes()` is the real ownership record, not a copy that could
 * drift: the e2e disposal test reads it before `dispose()` and finds every node `disposed` after.
 *
 * The disposal contract every audio class keeps:
 * - `disposed` is true once `dispose()` has run; `dispose()` may be called again and does nothing.
 * - After `dispose()`, verbs are no-ops and queries answer as if stopped (null, false, empty):
 *   late callbacks (a track that finished downloading, a lock-screen "play", a stream frame) may
 *   reach an engine the page has already let go of, and must not bring sound back or throw.
 */
import type { ToneAudioNode } from "tone";

/** The nodes one owner created, in creation order; disposed together, newest first. */
export class OwnedNodes {
  private nodes: ToneAudioNode[] = [];

  /** Records `node` as owned (call it on the `new` expression) and returns it. */
  add<T extends ToneAudioNode>(node: T): T {
    this.nodes.push(node);
    return node;
  }

  /** What is owned now; empty after `disposeAll`. */
  list(): readonly ToneAudioNode[] {
    return [...this.nodes];
  }

  /** Disposes every node, newest first (consumers before their sources), and forgets them. */
  disposeAll(): void {
    const nodes = this.nodes;
    this.nodes = [];
    for (const node of nodes.reverse()) node.dispose();
  }
}
