/**
 * RFC 8785 (JCS), the one implementation of the code base: @wr/anchor's (its verifier core's), which the offline
 * verifier recomputes leaves and signatures with, so that what the gateway signs off and hashes is byte for byte
 * what a court's verifier checks. Idempotency-Key request hashes and the embedded ledger's block data use it too. It
 * refuses what is not plain I-JSON (a lone surrogate, nesting beyond 256 levels) with anchor's InvalidArgumentError.
 */
export { jcs, jcsBytes } from '@wr/anchor';
