# Shared settings of the network scripts (sourced). Everything listens on 127.0.0.1.
#   NETWORK_RUNTIME     binaries (default): Fabric's binaries from FABRIC_BIN; or docker: the official images
#                       (hyperledger/fabric-orderer, -peer, -tools) run by Docker Compose, host networking
#   FABRIC_BIN          binaries: folder with peer, orderer, configtxgen, cryptogen, osnadmin (required)
#   FABRIC_CFG          binaries: folder with Fabric's core.yaml and orderer.yaml (default: $FABRIC_BIN/../config, as
#                       in Fabric's release archives); docker: taken from the images
#   FABRIC_IMAGE_TAG    docker: tag of the official images (default 2.5)
#   NETWORK_DIR         where the network keeps its files (default: network/.run)
#   NETWORK_PORT_BASE   first of the ports used (default 17000)

NETWORK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NET_DIR=${NETWORK_DIR:-$NETWORK_HOME/.run}
PORT_BASE=${NETWORK_PORT_BASE:-17000}
CHANNEL=receipts
ORGS=(custodian lender borrower)
RUNTIME=${NETWORK_RUNTIME:-binaries}
IMAGE_TAG=${FABRIC_IMAGE_TAG:-2.5}
COMPOSE_PROJECT=wr-receipts-$PORT_BASE

PORT_ORDERER=$((PORT_BASE + 50))
PORT_ORDERER_ADMIN=$((PORT_BASE + 53))
PORT_ORDERER_OPS=$((PORT_BASE + 443))

fail() { echo "network: $*" >&2; exit 1; }

require_fabric() {
  case $RUNTIME in
    binaries)
      [ -n "${FABRIC_BIN:-}" ] || fail "FABRIC_BIN is not set: name the folder holding Fabric 2.5's peer, orderer, configtxgen, cryptogen and osnadmin (or NETWORK_RUNTIME=docker)"
      for tool in peer orderer configtxgen cryptogen osnadmin; do
        [ -x "$FABRIC_BIN/$tool" ] || fail "FABRIC_BIN=$FABRIC_BIN has no executable $tool"
      done
      FABRIC_CFG=${FABRIC_CFG:-$(cd "$FABRIC_BIN/.." && pwd)/config}
      for file in core.yaml orderer.yaml; do
        [ -f "$FABRIC_CFG/$file" ] || fail "FABRIC_CFG=$FABRIC_CFG has no $file (Fabric's sample configuration, as in its release archives)"
      done
      export PATH=$FABRIC_BIN:$PATH
      ;;
    docker)
      command -v docker >/dev/null || fail "NETWORK_RUNTIME=docker needs the docker command"
      docker compose version >/dev/null 2>&1 || fail "NETWORK_RUNTIME=docker needs Docker Compose v2 (docker compose)"
      FABRIC_CFG=$NET_DIR/fabric-config
      # The command-line tools run from the tools image, with the variables the scripts export (as_admin_of).
      peer() { fabric_tool peer "$@"; }
      configtxgen() { fabric_tool configtxgen "$@"; }
      cryptogen() { fabric_tool cryptogen "$@"; }
      osnadmin() { fabric_tool osnadmin "$@"; }
      ;;
    *) fail "NETWORK_RUNTIME must be binaries or docker, not $RUNTIME" ;;
  esac
}

# The Fabric variables exported in this shell, as `-e NAME` options for docker.
fabric_env_options() {
  local name
  for name in $(compgen -e); do
    case $name in CORE_* | ORDERER_* | FABRIC_CFG_PATH | FABRIC_LOGGING_SPEC) printf '%s\n' -e "$name" ;; esac
  done
}

# Docker mode: runs a Fabric command-line tool in hyperledger/fabric-tools, on the host network, as this user, with the
# network's files at the same paths.
fabric_tool() {
  local options; mapfile -t options < <(fabric_env_options)
  docker run --rm --network host --user "$(id -u):$(id -g)" -v "$NETWORK_HOME:$NETWORK_HOME:ro" -v "$NET_DIR:$NET_DIR" \
    -w "$NET_DIR" "${options[@]}" "hyperledger/fabric-tools:$IMAGE_TAG" "$@"
}

# Docker mode: Fabric's sample core.yaml and orderer.yaml, from the images, into $FABRIC_CFG.
docker_fabric_config() {
  mkdir -p "$FABRIC_CFG"
  docker run --rm "hyperledger/fabric-peer:$IMAGE_TAG" cat /etc/hyperledger/fabric/core.yaml >"$FABRIC_CFG/core.yaml"
  docker run --rm "hyperledger/fabric-orderer:$IMAGE_TAG" cat /etc/hyperledger/fabric/orderer.yaml >"$FABRIC_CFG/orderer.yaml"
}

# Runs Fabric node $1 (orderer or peer-<org>), image $2 (orderer or peer), command "${@:3}", with the variables
# exported in the calling subshell, logging to $NET_DIR/logs/$1.log. Binaries: this process becomes the node.
# Docker: the node becomes a service of $NET_DIR/compose.yaml, started by Docker Compose, whose log this process
# follows (so its pid stands for the node, as with binaries).
run_node() {
  local name=$1 image=$2; shift 2
  if [ "$RUNTIME" = binaries ]; then exec "$@" >"$NET_DIR/logs/$name.log" 2>&1; fi
  local compose=$NET_DIR/compose.yaml var
  [ -f "$compose" ] || echo "services:" >"$compose"
  {
    echo "  $name:"
    echo "    image: hyperledger/fabric-$image:$IMAGE_TAG"
    echo "    network_mode: host"
    echo "    user: \"$(id -u):$(id -g)\""
    echo "    working_dir: $NET_DIR"
    echo "    volumes: ['$NETWORK_HOME:$NETWORK_HOME:ro', '$NET_DIR:$NET_DIR']"
    echo "    environment:"
    for var in $(compgen -e); do
      case $var in CORE_* | ORDERER_* | FABRIC_CFG_PATH) echo "      $var: '${!var}'" ;; esac
    done
    printf '    command: ['; printf "'%s', " "$@"; echo ']'
  } >>"$compose"
  docker compose -f "$compose" -p "$COMPOSE_PROJECT" up -d "$name" >>"$NET_DIR/logs/compose.log" 2>&1
  exec docker compose -f "$compose" -p "$COMPOSE_PROJECT" logs --no-log-prefix -f "$name" >"$NET_DIR/logs/$name.log" 2>&1
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

# Creates channel $1 through the channel participation API (genesis block from configtx.yaml's Receipts profile,
# the orderer joined with osnadmin) and joins every organisation's peer to it; returns once the orderer serves it.
create_channel() {
  local channel=$1
  echo "network: channel $channel (configtxgen, osnadmin, peer channel join)"
  configtxgen -configPath "$NET_DIR/configtx" -profile Receipts -channelID "$channel" -outputBlock "$NET_DIR/$channel.block" 2>>"$NET_DIR/logs/configtxgen.log" ||
    fail "configtxgen could not make the genesis block of $channel (see $NET_DIR/logs/configtxgen.log)"
  local admin=$ORDERER_ORG/users/Admin@orderer.receipts.local/tls
  osnadmin channel join --channelID "$channel" --config-block "$NET_DIR/$channel.block" -o "127.0.0.1:$PORT_ORDERER_ADMIN" \
    --ca-file "$ORDERER_TLS_CA" --client-cert "$admin/client.crt" --client-key "$admin/client.key" >>"$NET_DIR/logs/osnadmin.log" ||
    fail "the orderer could not join $channel (see $NET_DIR/logs/osnadmin.log)"
  for org in "${ORGS[@]}"; do
    (as_admin_of "$org"; peer channel join -b "$NET_DIR/$channel.block" >>"$NET_DIR/logs/channel-join.log" 2>&1) ||
      fail "the peer of $(msp_of "$org") could not join $channel (see $NET_DIR/logs/channel-join.log)"
  done
  # The Raft leader must be elected before the channel takes transactions (chaincode approvals).
  for attempt in $(seq 1 150); do
    (as_admin_of custodian; peer channel fetch oldest "$NET_DIR/fetched.block" -c "$channel" -o "127.0.0.1:$PORT_ORDERER" --tls --cafile "$ORDERER_TLS_CA" >/dev/null 2>&1) && return 0
    [ "$attempt" = 150 ] && fail "the orderer did not serve channel $channel (see $NET_DIR/logs/orderer.log)"
    sleep 0.2
  done
}

CHAINCODE_NAME=receipts
CHAINCODE_POLICY="OR('CustodianMSP.peer')"

# Approves the chaincode definition (the installed package $NET_DIR/chaincode/package-id) for every organisation on
# channel $1 and commits it.
define_chaincode() {
  local channel=$1 version=${CHAINCODE_VERSION:-1.0} sequence=${CHAINCODE_SEQUENCE:-1}
  [ -f "$NET_DIR/chaincode/package-id" ] || fail "the chaincode is not installed (network/deploy)"
  local package_id; package_id=$(cat "$NET_DIR/chaincode/package-id")
  local orderer=(-o "127.0.0.1:$PORT_ORDERER" --tls --cafile "$ORDERER_TLS_CA")
  for org in "${ORGS[@]}"; do
    (as_admin_of "$org"; peer lifecycle chaincode approveformyorg "${orderer[@]}" --channelID "$channel" --name "$CHAINCODE_NAME" \
      --version "$version" --package-id "$package_id" --sequence "$sequence" --signature-policy "$CHAINCODE_POLICY" >>"$NET_DIR/logs/deploy.log" 2>&1) ||
      fail "$(msp_of "$org") could not approve on $channel (see $NET_DIR/logs/deploy.log)"
  done
  local peers=()
  for org in "${ORGS[@]}"; do peers+=(--peerAddresses "127.0.0.1:$(peer_port "$org")" --tlsRootCertFiles "$NET_DIR/tls-ca-bundle.pem"); done
  (as_admin_of custodian; peer lifecycle chaincode commit "${orderer[@]}" --channelID "$channel" --name "$CHAINCODE_NAME" --version "$version" \
    --sequence "$sequence" --signature-policy "$CHAINCODE_POLICY" "${peers[@]}" >>"$NET_DIR/logs/deploy.log" 2>&1) ||
    fail "commit on $channel failed (see $NET_DIR/logs/deploy.log)"
  echo "network: $CHAINCODE_NAME $version (sequence $sequence) committed on $channel"
}
