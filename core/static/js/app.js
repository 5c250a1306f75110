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
