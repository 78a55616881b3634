// The web UI of `orfeas serve`: three pages over the HTTP API, bundled by build.mjs.

import './style.css';
import { apiKey, setApiKey } from './api';
import { byId } from './dom';
import { setUpDashboardPage } from './pages/dashboard';
import { setUpGeneratePage } from './pages/generate';
import { setUpMeshPage } from './pages/mesh';
import { startRouter } from './router';

function setUpKeyForm(): void {
  const form = byId<HTMLFormElement>('key-form');
  const input = byId<HTMLInputElement>('key-input');
  const state = byId('key-state');
  const describe = () => {
    state.textContent = apiKey() ? 'A key is saved in this browser.' : 'No key saved.';
  };
  input.value = apiKey();
  describe();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    describe();
  });
  byId('key-clear').addEventListener('click', () => {
    input.value = '';
    setApiKey('');
    describe();
  });
}

setUpKeyForm();
setUpGeneratePage();
setUpMeshPage();
const dashboard = setUpDashboardPage();
for (const heading of document.querySelectorAll('main h1')) heading.setAttribute('tabindex', '-1');
startRouter((page) => {
  if (page === 'dashboard') dashboard.start();
  else dashboard.stop();
});
