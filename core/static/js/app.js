// Peyvand UI glue: Jalali date picker on every [data-jdp] input (Persian digits in the Persian
// interface, Latin ones in the others); htmx sends the CSRF header (set on <body hx-headers>);
// Persian digits typed anywhere are accepted by the server.
(function () {
  if (window.jalaliDatepicker) {
    // Month and day names come translated from the server (base.html); the picker's own
    // «today» and «empty» buttons exist only in Persian, so other languages go without them.
    var labels = document.getElementById('datepicker-labels');
    labels = labels ? JSON.parse(labels.textContent) : {};
    var persian = (document.documentElement.lang || 'fa') === 'fa';
    var options = { persianDigits: persian, showTodayBtn: persian, showEmptyBtn: persian, autoShow: true,
                    autoHide: true, hideAfterChange: true, date: true, time: false, zIndex: 2000 };
    if (labels.months) { options.months = labels.months; options.days = labels.days; }
    jalaliDatepicker.startWatch(options);
  }
})();

// A form marked `data-busy="…"` may take long (a file import): once sent, its submit button is
// disabled and says so, so a second click cannot send it again while the first is running.
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!form.matches || !form.matches('form[data-busy]') || e.defaultPrevented) { return; }
  var button = e.submitter || form.querySelector('[type=submit]');
  if (!button) { return; }
  setTimeout(function () {  // after the browser has taken the button's own name and value
    button.dataset.idle = button.innerHTML;
    button.disabled = true;
    var spinner = document.createElement('span');
    spinner.className = 'spinner-border spinner-border-sm ms-2';
    spinner.setAttribute('role', 'status');
    button.textContent = form.dataset.busy;
    button.appendChild(spinner);
  }, 0);
});
// Back to a page kept in the browser's cache: its busy buttons are ready again.
window.addEventListener('pageshow', function (e) {
  if (!e.persisted) { return; }
  document.querySelectorAll('form[data-busy] [data-idle]').forEach(function (button) {
    button.innerHTML = button.dataset.idle;
    button.disabled = false;
  });
});
