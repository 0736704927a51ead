// Examples of the evidence modules' OpenAPI documentation. They hang together: the example envelope really is signed
// by the example key, and the example leaf hash is its record's.
export const examplePem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA4aSsoAMil1Vjxt0CSDyIo34+6wQmmiCa/Z8HAQGZmOA=\n-----END PUBLIC KEY-----\n';
export const exampleLeafHash = '0x93d2cd54844c090ea3f288d75bcf64c0bbc2d91fe0eb65d40f88057ae259c361';
export const exampleHash = '0x9f2c1a7be1d0e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3';
export const exampleEnvelope = {
  deviceId: 'TEMP-QD-03-01',
  seq: 1042,
  ts: '2026-11-20T08:15:00Z',
  readings: [{ sensor: 'probe-1', kind: 'temperature', value: 4.5, unit: 'Cel' }],
  attachments: [],
};
export const exampleSignature = 'oXQ7WUPty547ADaxGi0QD34KvFUYOg8JeOsBLvAHEfxoeHQEf5h3kiI7epcdABtfu9VEzvshshker6T/iBTsAw==';

