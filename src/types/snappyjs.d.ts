// snappyjs ships no types: the two functions agent-gate uses (raw Snappy block format, as GitHub's bundle_url serves).
declare module "snappyjs" {
  type Bytes = Uint8Array | ArrayBuffer;
  const snappy: {
    /** Throws when the input is not a valid Snappy block or would exceed maxLength bytes. */
    uncompress<T extends Bytes>(compressed: T, maxLength?: number): T;
    compress<T extends Bytes>(uncompressed: T): T;
  };
  export default snappy;
}
