/** What the research does and does not support, in plain words (mirrors the README). */
export default function EvidenceNote() {
  return (
    <section className="panel" aria-labelledby="evidence-heading">
      <h2 id="evidence-heading">What the evidence says</h2>
      <p>
        Studies of binaural beats for attention, anxiety and sleep show <strong>small and mixed</strong> effects;
        isochronic tones have even less research behind them, and music with a gentle rhythmic pulse has a few
        small, preliminary studies in listeners with attention difficulties. Some people find these sounds helpful;
        many notice nothing. NeuroTune is a comfort tool, <strong>not a medical treatment</strong>. If you have
        epilepsy or a seizure disorder, ask a clinician first. Keep the volume low.
      </p>
    </section>
  );
}
