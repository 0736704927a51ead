import { anchoringOperations } from './anchoring/index.js';
import { deviceOperations } from './devices/index.js';
import { documentOperations } from './documents/index.js';
import { eventOperations } from './events/index.js';
import type { Operation } from '../http/operation.js';
import { sessionOperations } from '../http/session.js';
import { listReceipts, operations as receiptOperations } from './receipts/operations.js';
import { leafOperations } from './leaves/index.js';
import { readingOperations } from './readings/index.js';
import { alarmOperations } from './alarms/index.js';
import { collateralOperations } from './collateral/index.js';
import { dashboardOperations } from './dashboard/index.js';
import { ruleOperations } from './rules/index.js';
import { webhookOperations } from './webhooks/index.js';
import { workOrderOperations } from './work-orders/index.js';

export { alarmsModule } from './alarms/index.js';
export { anchoringModule } from './anchoring/index.js';
export { collateralModule } from './collateral/index.js';
export { dashboardModule } from './dashboard/index.js';
export { devicesModule } from './devices/index.js';
export { documentsModule } from './documents/index.js';
export { eventsModule } from './events/index.js';
export { leavesModule } from './leaves/index.js';
export { mqttModule } from './mqtt/index.js';
export { readingsModule } from './readings/index.js';
export { receiptsModule } from './receipts/index.js';
export { rulesModule } from './rules/index.js';
export { webhooksModule, webhooksModuleWith } from './webhooks/index.js';
export { workOrdersModule, workOrdersModuleWith } from './work-orders/index.js';

/** The operations the gateway serves from its own database (evidence, anchoring, supervision): no chaincode stands behind them. */
export const gatewayOperations: readonly Operation[] = [
  ...deviceOperations,
  ...leafOperations,
  ...readingOperations,
  ...documentOperations,
  ...anchoringOperations,
  ...ruleOperations,
  ...alarmOperations,
  ...workOrderOperations,
  ...eventOperations,
  ...webhookOperations,
  ...dashboardOperations,
];

/** Every operation the gateway serves, as the OpenAPI document lists them (GET /openapi.json, `npm run openapi`). */
/** The collateral module's: price marks, loans and margin calls, some of them chaincode transactions (docs/collateral.md). */
export { collateralOperations };

export const everyOperation: readonly Operation[] = [...receiptOperations, listReceipts, ...gatewayOperations, ...collateralOperations, ...sessionOperations];
