/** Where the console leaves a bundle for the verification page it opens (same origin; read once, then removed). */
export const HANDOFF_KEY = 'wr.verify.bundle';
