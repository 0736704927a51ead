import { id } from 'ethers';

/**
 * The Anchor contract's interface, stated once. The event's shape is a public contract: the verifier and any
 * block explorer read `root` and `checkpointHash` from its topics and `seq` from its data.
 * A test checks that the compiled artifact's ABI is exactly this.
 */
export const ANCHOR_ABI = [
  'constructor()',
  'event Anchored(bytes32 indexed root, bytes32 indexed checkpointHash, uint64 seq)',
  'error NotOwner()',
  'error AlreadyAnchored(bytes32 root)',
  'error ZeroValue()',
  'function anchor(bytes32 root, bytes32 checkpointHash, uint64 seq)',
  'function checkpointHashOf(bytes32 root) view returns (bytes32)',
  'function owner() view returns (address)',
] as const;

/** The canonical signature of the Anchored event. */
export const ANCHORED_EVENT_SIGNATURE = 'Anchored(bytes32,bytes32,uint64)';

/** topic0 of every Anchored log: keccak256 of its signature, 0x lowercase. */
export const ANCHORED_EVENT_TOPIC: string = id(ANCHORED_EVENT_SIGNATURE);
