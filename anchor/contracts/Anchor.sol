// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Anchor
/// @notice Public, append-only record of evidence checkpoints: each Merkle root is bound to the hash of the
///         checkpoint that carries it, once and for ever.
/// @dev The contract sees only the root, so anchoring costs the same for a tree of 1 leaf or 1,000,000 leaves.
///      It keeps one storage slot per root; everything else (seq, block, time) lives in the event and the receipt,
///      where any JSON-RPC endpoint or block explorer can read it from the transaction hash alone.
contract Anchor {
    /// @notice The only account allowed to anchor: the deployer.
    address public immutable owner;

    /// @dev root => checkpoint hash; zero means "not anchored", which is why zero roots and hashes are refused.
    mapping(bytes32 root => bytes32 checkpointHash) private _checkpointHashOf;

    /// @notice Emitted once per root when its checkpoint is anchored.
    /// @param root The Merkle root of the checkpoint's leaves (RFC 6962, SHA-256).
    /// @param checkpointHash SHA-256 of the checkpoint's JCS encoding (without its hash field).
    /// @param seq The checkpoint's sequence number.
    event Anchored(bytes32 indexed root, bytes32 indexed checkpointHash, uint64 seq);

    /// @notice The caller is not the owner.
    error NotOwner();

    /// @notice The root is already anchored; a root is bound to one checkpoint for ever.
    /// @param root The root that was anchored before.
    error AlreadyAnchored(bytes32 root);

    /// @notice A zero root or checkpoint hash cannot be told apart from "not anchored".
    error ZeroValue();

    constructor() {
        owner = msg.sender;
    }

    /// @notice Binds `root` to `checkpointHash` and emits {Anchored}.
    /// @param root The checkpoint's Merkle root; must be non-zero and not anchored before.
    /// @param checkpointHash The checkpoint's hash; must be non-zero.
    /// @param seq The checkpoint's sequence number, carried in the event only.
    function anchor(bytes32 root, bytes32 checkpointHash, uint64 seq) external {
        if (msg.sender != owner) revert NotOwner();
        if (root == bytes32(0) || checkpointHash == bytes32(0)) revert ZeroValue();
        if (_checkpointHashOf[root] != bytes32(0)) revert AlreadyAnchored(root);
        _checkpointHashOf[root] = checkpointHash;
        emit Anchored(root, checkpointHash, seq);
    }

    /// @notice The checkpoint hash anchored with `root`, or zero if `root` was never anchored.
    /// @param root The Merkle root to look up.
    /// @return The anchored checkpoint hash, or zero.
    function checkpointHashOf(bytes32 root) external view returns (bytes32) {
        return _checkpointHashOf[root];
    }
}
