import { notYet } from './not-yet.js';

export async function list(..._a: unknown[]): Promise<number> { notYet('templates list'); }
export async function check(..._a: unknown[]): Promise<number> { notYet('templates check'); }
