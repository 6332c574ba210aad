import { notYet } from './not-yet.js';

export async function status(..._a: unknown[]): Promise<number> { notYet('queue status'); }
export async function list(..._a: unknown[]): Promise<number> { notYet('queue list'); }
export async function retry(..._a: unknown[]): Promise<number> { notYet('queue retry'); }
export async function hold(..._a: unknown[]): Promise<number> { notYet('queue hold'); }
export async function release(..._a: unknown[]): Promise<number> { notYet('queue release'); }
export async function purge(..._a: unknown[]): Promise<number> { notYet('queue purge'); }
export async function monitor(..._a: unknown[]): Promise<number> { notYet('queue monitor'); }
