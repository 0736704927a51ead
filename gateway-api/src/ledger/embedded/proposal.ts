import { common, msp, peer } from '@hyperledger/fabric-protos';
import { createHash, randomBytes, sign, verify } from 'node:crypto';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { LedgerError } from '../errors.js';
import type { Identity } from '../port.js';
import type { MembershipRegistry, ValidatedCreator } from './msp.js';

/** A proposal as the client signed it. */
export interface SignedProposal {
  readonly txId: string;
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** A proposal the peer has decoded and authenticated. */
export interface VerifiedProposal extends SignedProposal {
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly creator: ValidatedCreator;
  readonly certificatePem: string;
  readonly timestamp: Date;
  readonly input: peer.ChaincodeInput;
  /** The protobuf a peer hands to the chaincode with the TRANSACTION message. */
  readonly signedProposal: peer.SignedProposal;
}

export interface ProposalRequest {
  readonly identity: Identity;
  readonly channelId: string;
  readonly chaincodeName: string;
  readonly args: readonly string[];
  readonly timestamp: Date;
  readonly nonce: Uint8Array | undefined;
}

/** Builds and signs an endorser proposal the way Fabric clients do; txId = SHA-256(nonce || creator). */
export function createSignedProposal(request: ProposalRequest): SignedProposal {
  const creator = new msp.SerializedIdentity();
  creator.setMspid(request.identity.mspId);
  creator.setIdBytes(Buffer.from(request.identity.certificate));
  const creatorBytes = creator.serializeBinary();
  const nonce = request.nonce ?? randomBytes(24);
  const txId = createHash('sha256').update(nonce).update(creatorBytes).digest('hex');

  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(request.chaincodeName);
  const extension = new peer.ChaincodeHeaderExtension();
  extension.setChaincodeId(chaincodeId);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(request.channelId);
  channelHeader.setTxId(txId);
  channelHeader.setEpoch(0);
  channelHeader.setTimestamp(toTimestamp(request.timestamp));
  channelHeader.setExtension$(extension.serializeBinary());

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creatorBytes);
  signatureHeader.setNonce(nonce);

  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const input = new peer.ChaincodeInput();
  input.setArgsList(request.args.map((arg) => Buffer.from(arg)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(chaincodeId);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocation.serializeBinary());

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const proposalBytes = proposal.serializeBinary();
  const signature = sign('sha256', proposalBytes, request.identity.privateKey);
  return { txId, proposalBytes, signature };
}

/**
 * The peer's checks before it runs a proposal: well-formed, addressed to this channel and chaincode, the creator
 * a member of the channel, the signature the creator's, and the transaction id bound to nonce and creator.
 */
export function verifyProposal(
  signed: SignedProposal,
  expected: { readonly channelId: string; readonly chaincodeName: string },
  membership: MembershipRegistry,
): VerifiedProposal {
  let proposal: peer.Proposal;
  let channelHeader: common.ChannelHeader;
  let signatureHeader: common.SignatureHeader;
  let creator: msp.SerializedIdentity;
  let invocation: peer.ChaincodeInvocationSpec;
  try {
    proposal = peer.Proposal.deserializeBinary(signed.proposalBytes);
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
    const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    invocation = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8());
  } catch (cause) {
    throw new LedgerError('malformed proposal', { code: 'ACCESS_DENIED', cause });
  }

  const txId = channelHeader.getTxId();
  const chaincodeName = invocation.getChaincodeSpec()?.getChaincodeId()?.getName() ?? '';
  const input = invocation.getChaincodeSpec()?.getInput();
  const timestamp = channelHeader.getTimestamp();
  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION || !input || !timestamp) {
    throw new LedgerError('not an endorser transaction proposal', { code: 'ACCESS_DENIED', txId });
  }
  if (channelHeader.getChannelId() !== expected.channelId || chaincodeName !== expected.chaincodeName) {
    throw new LedgerError(`proposal is for ${channelHeader.getChannelId()}/${chaincodeName}`, { code: 'ACCESS_DENIED', txId });
  }
  const expectedTxId = createHash('sha256').update(signatureHeader.getNonce_asU8()).update(signatureHeader.getCreator_asU8()).digest('hex');
  if (txId !== expectedTxId || txId !== signed.txId) {
    throw new LedgerError('transaction id is not bound to the nonce and creator', { code: 'ACCESS_DENIED', txId });
  }

  const certificatePem = Buffer.from(creator.getIdBytes_asU8()).toString('utf8');
  const validated = membership.validate(creator.getMspid(), certificatePem, new Date());
  if (!verify('sha256', signed.proposalBytes, validated.publicKey, signed.signature)) {
    throw new LedgerError('proposal signature does not verify with the creator certificate', { code: 'ACCESS_DENIED', txId });
  }

  const signedProposal = new peer.SignedProposal();
  signedProposal.setProposalBytes(signed.proposalBytes);
  signedProposal.setSignature(signed.signature);
  return {
    ...signed,
    channelId: expected.channelId,
    chaincodeName,
    creator: validated,
    certificatePem,
    timestamp: timestamp.toDate(),
    input,
    signedProposal,
  };
}

export function toTimestamp(date: Date): timestampPb.Timestamp {
  const timestamp = new timestampPb.Timestamp();
  const millis = date.getTime();
  timestamp.setSeconds(Math.floor(millis / 1000));
  timestamp.setNanos((((millis % 1000) + 1000) % 1000) * 1_000_000);
  return timestamp;
}
