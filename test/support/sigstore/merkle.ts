// An RFC 6962 Merkle tree over log leaves, with audit paths ordered leaf to root (as Rekor serves them).
import { Buffer } from "node:buffer";
import { sha256 } from "./keys.js";

export const leafHash = (leaf: Uint8Array): Buffer => sha256(Buffer.from([0]), leaf);
const nodeHash = (l: Uint8Array, r: Uint8Array): Buffer => sha256(Buffer.from([1]), l, r);

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function root(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 1) return hashes[0] as Buffer;
  const k = split(hashes.length);
  return nodeHash(root(hashes.slice(0, k)), root(hashes.slice(k)));
}

function path(m: number, hashes: readonly Buffer[]): Buffer[] {
  if (hashes.length <= 1) return [];
  const k = split(hashes.length);
  return m < k ? [...path(m, hashes.slice(0, k)), root(hashes.slice(k))] : [...path(m - k, hashes.slice(k)), root(hashes.slice(0, k))];
}

export class MerkleTree {
  private readonly leaves: Buffer[] = [];

  get size(): number {
    return this.leaves.length;
  }

  append(leaf: Uint8Array): number {
    this.leaves.push(leafHash(leaf));
    return this.leaves.length - 1;
  }

  rootHash(size = this.size): Buffer {
    return root(this.leaves.slice(0, size));
  }

  inclusionProof(index: number, size = this.size): Buffer[] {
    return path(index, this.leaves.slice(0, size));
  }
}
