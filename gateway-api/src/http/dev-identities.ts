import { z } from 'zod';
import { identityFields } from './session.js';

export const devIdentityExample = { id: 'lender.officer', org: 'lender', user: 'officer', role: 'officer', token: 'wr_Jm3V0c9oKc8b5nXyq2sT7u1wD4eF6gH8iJ0kL2mN4oP' } as const;

/** A demo identity as the console's sign-in page lists it, with the token that signs in as it. */
export const devIdentity = identityFields.extend({ token: z.string() }).openapi('DevIdentity', { example: devIdentityExample });

export type DevIdentity = z.output<typeof devIdentity>;
