// The login page: user name and password, the API's message on failure.
import { h } from '../dom.js';

export const title = 'Log in';

export function mount(el, ctx, { message, onLoggedIn }) {
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title', 'aria-describedby': 'login-error' },
    h('h1', { id: 'login-title' }, 'Log in to Kirchhoff'),
    message ? h('p', { class: 'muted' }, message) : null,
    h('label', { for: 'login-user' }, 'User name'), user,
    h('label', { for: 'login-password' }, 'Password'), pass,
    button, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      const r = await ctx.api('/api/login', { method: 'POST', body: { username: user.value, password: pass.value } });
      if (!location.hash || location.hash === '#/login') history.replaceState(null, '', '#/overview');
      onLoggedIn({ name: r.user.name, role: r.user.role, notices: r.notices });
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
      pass.select();
    }
  });
  el.append(form);
  user.focus();
  return { title };
}
