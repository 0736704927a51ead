# Shared settings of the network scripts (sourced). Everything listens on 127.0.0.1.
#   FABRIC_BIN          folder with peer, orderer, configtxgen, cryptogen, osnadmin (required)
#   FABRIC_CFG          folder with Fabric's core.yaml and orderer.yaml (default: $FABRIC_BIN/../config, as in
#                       Fabric's release archives)
#   NETWORK_DIR         where the network keeps its files (default: network/.run)
#   NETWORK_PORT_BASE   first of the ports used (default 17000)

NETWORK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NET_DIR=${NETWORK_DIR:-$NETWORK_HOME/.run}
PORT_BASE=${NETWORK_PORT_BASE:-17000}
CHANNEL=receipts
ORGS=(custodian lender borrower)

PORT_ORDERER=$((PORT_BASE + 50))
PORT_ORDERER_ADMIN=$((PORT_BASE + 53))
PORT_ORDERER_OPS=$((PORT_BASE + 443))

fail() { echo "network: $*" >&2; exit 1; }

require_fabric() {
  [ -n "${FABRIC_BIN:-}" ] || fail "FABRIC_BIN is not set: name the folder holding Fabric 2.5's peer, orderer, configtxgen, cryptogen and osnadmin"
  for tool in peer orderer configtxgen cryptogen osnadmin; do
    [ -x "$FABRIC_BIN/$tool" ] || fail "FABRIC_BIN=$FABRIC_BIN has no executable $tool"
  done
  FABRIC_CFG=${FABRIC_CFG:-$(cd "$FABRIC_BIN/.." && pwd)/config}
  for file in core.yaml orderer.yaml; do
    [ -f "$FABRIC_CFG/$file" ] || fail "FABRIC_CFG=$FABRIC_CFG has no $file (Fabric's sample configuration, as in its release archives)"
  done
}

# org -> MSP id, domain and ports (peer, chaincode, operations)
msp_of() { case $1 in custodian) echo CustodianMSP ;; lender) echo LenderMSP ;; borrower) echo BorrowerMSP ;; esac; }
domain_of() { echo "$1.receipts.local"; }
index_of() { case $1 in custodian) echo 0 ;; lender) echo 1 ;; borrower) echo 2 ;; esac; }
peer_port() { echo $((PORT_BASE + 51 + 10 * $(index_of "$1"))); }
peer_cc_port() { echo $((PORT_BASE + 52 + 10 * $(index_of "$1"))); }
peer_ops_port() { echo $((PORT_BASE + 444 + $(index_of "$1"))); }

ORDERER_ORG=$NET_DIR/organizations/ordererOrganizations/orderer.receipts.local
ORDERER_TLS_CA=$ORDERER_ORG/tlsca/tlsca.orderer.receipts.local-cert.pem
org_dir() { echo "$NET_DIR/organizations/peerOrganizations/$(domain_of "$1")"; }
peer_dir() { echo "$(org_dir "$1")/peers/peer0.$(domain_of "$1")"; }

# The environment of `peer` commands run as an organisation's admin against its peer.
as_admin_of() {
  local org=$1
  export FABRIC_CFG_PATH=$NET_DIR/peers/$org
  export CORE_PEER_LOCALMSPID; CORE_PEER_LOCALMSPID=$(msp_of "$org")
  export CORE_PEER_MSPCONFIGPATH; CORE_PEER_MSPCONFIGPATH=$(org_dir "$org")/users/Admin@$(domain_of "$org")/msp
  export CORE_PEER_ADDRESS; CORE_PEER_ADDRESS=127.0.0.1:$(peer_port "$org")
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_TLS_ROOTCERT_FILE=$NET_DIR/tls-ca-bundle.pem
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  fail "$what did not listen on 127.0.0.1:$port (see $NET_DIR/logs)"
}
