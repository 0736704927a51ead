import { expect } from 'chai';
import { DatabaseError } from '../../src/db/errors.js';
import { toProblem } from '../../src/http/problem.js';

describe('problem documents', () => {
  it('answers 503 DATABASE_UNAVAILABLE, not 500, when the database cannot be reached or is busy past the timeout, and tells nothing of the cause', () => {
    const problem = toProblem(new DatabaseError('the database is unavailable: timeout exceeded when trying to connect', new Error('connect ECONNREFUSED 10.1.2.3:5432')));
    expect(problem.status).to.equal(503);
    expect(problem.code).to.equal('DATABASE_UNAVAILABLE');
    expect(problem.message).to.not.include('10.1.2.3');
  });

  it('still answers 500 INTERNAL_ERROR for what nobody expected, revealing nothing', () => {
    const problem = toProblem(new Error('secret detail'));
    expect(problem.status).to.equal(500);
    expect(problem.code).to.equal('INTERNAL_ERROR');
    expect(problem.message).to.not.include('secret');
  });
});
