import { idParams } from '../../http/fields.js';
import { defineOperation } from '../../http/operation.js';
import { anyKnownCaller } from '@wr/chaincode/roles';
import { z } from 'zod';
import { custodian } from '../access.js';
import type { Alarms } from './alarms.js';
import * as schemas from './schemas.js';

const operation = defineOperation<Alarms>();

export const operations = [
  operation({
    operationId: 'listAlarms',
    method: 'get',
    path: '/v1/alarms',
    summary: 'Alarms the caller may see (the custodian its warehouses, a lender those on lots under its pledges, a borrower those on its receipts), filtered and paged',
    tag: 'Alarms',
    allowed: anyKnownCaller,
    query: schemas.alarmListQuery,
    response: schemas.alarmList,
    documentedResponse: {
      description: 'a page of alarms in id order; `next` is the `after` of the next page',
      schema: z.object({ data: schemas.alarmList, next: z.string().nullable() }),
      example: { data: [schemas.exampleAlarm], next: null },
    },
    successStatus: 200,
    run: async ({ query, caller }, alarms) => {
      const page = await alarms.list(caller, query);
      return { data: page.items, extra: { next: page.next } };
    },
  }),
  operation({
    operationId: 'getAlarm',
    method: 'get',
    path: '/v1/alarms/{id}',
    summary: 'An alarm episode: its rule version, device-time start and clear, statistics, the readings that raised and cleared it, and what it owes the ledger',
    tag: 'Alarms',
    allowed: anyKnownCaller,
    params: idParams,
    response: schemas.alarm,
    successStatus: 200,
    run: async ({ params, caller }, alarms) => ({ data: await alarms.get(params.id, caller) }),
  }),
  operation({
    operationId: 'acknowledgeAlarm',
    method: 'post',
    path: '/v1/alarms/{id}/acknowledgement',
    summary: 'Acknowledge an alarm (a cleared critical alarm stays latched ACTIVE until this)',
    tag: 'Alarms',
    allowed: custodian('clerk', 'supervisor'),
    params: idParams,
    body: schemas.acknowledgementBody,
    response: schemas.alarm,
    audit: 'AcknowledgeAlarm',
    successStatus: 200,
    run: async ({ params, body, caller, write }, alarms) => ({ data: await alarms.acknowledge(params.id, body.note, caller, write) }),
  }),
  operation({
    operationId: 'shelveAlarm',
    method: 'post',
    path: '/v1/alarms/{id}/shelving',
    summary: 'Shelve an active alarm for a time (at most 24 hours; critical alarms are never shelved)',
    tag: 'Alarms',
    allowed: custodian('supervisor'),
    params: idParams,
    body: schemas.shelvingBody,
    response: schemas.alarm,
    audit: 'ShelveAlarm',
    successStatus: 200,
    run: async ({ params, body, caller, write }, alarms) => ({ data: await alarms.shelve(params.id, body, caller, write) }),
  }),
  operation({
    operationId: 'getAlarmBundle',
    method: 'get',
    path: '/v1/alarms/{id}/bundle',
    summary: 'For a court: the alarm and the wr-evidence-bundle/1 of every reading that raised or cleared it (409 NOT_YET_ANCHORED until all are anchored)',
    tag: 'Alarms',
    allowed: anyKnownCaller,
    params: idParams,
    response: schemas.alarmBundle,
    successStatus: 200,
    run: async ({ params, caller }, alarms) => ({ data: await alarms.bundle(params.id, caller) }),
  }),
];
